"""The booking-provider contract and the registry providers add themselves to.

Callers ask ``get_provider(workspace)`` and never branch on a provider's name: everything a
provider knows (its client, its webhook mapper, its card and form) hangs off its ``ProviderSpec``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from followups.errors import ProviderNotConnected
from workspaces import provider_choices

if TYPE_CHECKING:
    from workspaces.models import Lead, Workspace


@dataclass(frozen=True)
class BookingRef:
    """A booking's stable ids at its provider.

    ``external_id`` is the key we dedupe on (Calendly: the invitee URI; GHL: the appointment
    id); ``secondary_id`` rides along (Calendly: the scheduled event URI).
    """

    provider: str
    external_id: str
    secondary_id: str = ""


@dataclass(frozen=True)
class Slot:
    """A free time at the provider, in UTC.

    ``provider_value`` is the provider's own name for the time (GHL: the slot string its
    free-slots answer gave), stored with the offer and handed back to ``book`` unchanged; ""
    when the provider has none.
    """

    start: datetime
    end: datetime | None = None
    provider_value: str = ""


@dataclass(frozen=True)
class BookingResult:
    ref: BookingRef
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    summary: str  # safe, human text: "Connected as Casey Closer (casey@agency.example)"
    details: dict[str, str] = field(default_factory=dict)
    missing_scopes: tuple[str, ...] = ()


class BookingProvider(Protocol):
    """What a provider does for one workspace. Built by ``ProviderSpec.factory(workspace)``."""

    name: str

    def available_slots(self, *, start: datetime, end: datetime, timezone: str) -> list[Slot]: ...

    def book(
        self, *, lead: Lead, start: datetime, idempotency_key: str, provider_value: str = ""
    ) -> BookingResult:
        """Book ``start`` for the lead. ``provider_value`` is the offered slot's own value ("" if
        none); a provider that has no use for it ignores it. Raises ``SlotTaken`` when the time
        is gone, ``DirectBookingUnavailable`` when the lead can only book through a link, and
        ``ProviderUnavailable(outcome_unknown=True)`` when the booking may have been made."""
        ...

    def cancel(self, *, ref: BookingRef, reason: str = "") -> None: ...

    def find_booking(
        self, *, lead: Lead, start: datetime | None = None
    ) -> BookingResult | None: ...

    def check_connection(self) -> ConnectionReport: ...

    def scheduling_link(self, *, lead: Lead) -> str | None:
        """A link where the lead books a time itself, sent when ``book`` raised
        ``DirectBookingUnavailable``; the provider's webhook then reports the booking. None
        declines: this provider has no such link, and a setter takes over instead."""
        ...


@dataclass(frozen=True)
class ProviderSpec:
    """Everything the rest of the product may know about a provider.

    ``factory(workspace)`` builds the provider; ``map_delivery(delivery)`` turns a stored
    webhook delivery into lifecycle calls and returns the delivery's final state
    (``processed``, ``ignored`` or ``unmatched``); ``is_connected(workspace)`` says whether the
    workspace can book with it. Optional hooks fill the Integrations tab and the admin API.
    """

    name: str
    label: str
    factory: Callable[[Workspace], BookingProvider]
    map_delivery: Callable[[Any], str]
    is_connected: Callable[[Workspace], bool]
    # The card on the Integrations tab: a template (default "integrations/cards/default.html",
    # which a provider's own may extend) and extra context, called as
    # ``card_context(workspace=..., connection=...)`` (connection may be None).
    card_template: str = ""
    card_context: Callable[..., dict] | None = None
    # The admin API's connect, when it takes other data than the card's form; falls back to
    # ``connect``.
    api_connect: Callable[..., Any] | None = None
    # One sentence under the card's title.
    description: str = ""
    # A django.forms.Form class: the card's connect form and the admin API's PUT body.
    settings_form: type | None = None
    # ``connect(*, workspace, data, actor=None, actor_label="")`` with the form's cleaned data:
    # checks the credentials at the provider and stores them (integrations.connections.connect).
    # Raises InvalidSetting (or any ProviderError with a ``field``) for a field error, another
    # ProviderError for the form as a whole.
    connect: Callable[..., Any] | None = None
    # ``disconnect(*, workspace, actor=None, actor_label="")``; default: wipe the secrets.
    disconnect: Callable[..., Any] | None = None
    # ``status(workspace) -> dict`` of safe values; default: the stored connection's summary.
    status: Callable[[Workspace], dict] | None = None
    # A URL name taking ``workspace_id``: the card shows PUBLIC_BASE_URL + that path.
    webhook_url_name: str = ""
    # False for a messaging-only connection (the e-mail and outbound-webhook channels): it has a
    # card and the admin API, but can't be chosen as the booking provider.
    books: bool = True
    # Names of secrets the connect hook answers once (the card and the API show them that once).
    shown_once: tuple[str, ...] = ()
    # ``rotate_secret(*, workspace, actor=None) -> dict`` of the new secrets, shown once.
    rotate_secret: Callable[..., dict] | None = None
    # ``test_event(workspace) -> integrations.sample_delivery.SampleDelivery``: a delivery
    # signed as the provider would sign it, for "Send a test event"; it must end ``ignored``
    # (never touch leads or appointments).
    test_event: Callable[[Workspace], Any] | None = None


_registry: dict[str, ProviderSpec] = {}


def register(spec: ProviderSpec) -> None:
    """Called from each provider app's ``AppConfig.ready()``; re-registering replaces. Also
    offered to workspaces as a choice of booking provider, with its webhook URL, when it books
    (a messaging-only connection is not a booking provider)."""
    _registry[spec.name] = spec
    if spec.books:
        provider_choices.add(
            name=spec.name, label=spec.label, webhook_url=partial(webhook_url, spec)
        )


def unregister(name: str) -> None:
    _registry.pop(name, None)
    provider_choices.remove(name)


def get_spec(name: str) -> ProviderSpec:
    try:
        return _registry[name]
    except KeyError:
        raise ProviderNotConnected(f"No booking provider named “{name}” is installed.") from None


def find_spec(name: str) -> ProviderSpec | None:
    """The registered spec, or None (for input that may name anything)."""
    return _registry.get(name)


def all_specs() -> list[ProviderSpec]:
    return sorted(_registry.values(), key=lambda s: s.label)


def connected_specs(workspace: Workspace) -> list[ProviderSpec]:
    """The registered providers this workspace could book with right now."""
    return [spec for spec in all_specs() if spec.books and spec.is_connected(workspace)]


def webhook_url(spec: ProviderSpec, workspace: Workspace) -> str:
    """Where the provider must send this workspace's webhooks ("" if it takes none)."""
    if not spec.webhook_url_name:
        return ""
    from django.conf import settings
    from django.urls import reverse

    path = reverse(spec.webhook_url_name, kwargs={"workspace_id": workspace.public_id})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def get_provider(workspace: Workspace) -> BookingProvider:
    """The workspace's chosen provider, or ProviderNotConnected with a reason a user can act on."""
    spec = get_spec(workspace.booking_provider)
    if not spec.is_connected(workspace):
        raise ProviderNotConnected(
            f"{spec.label} is the booking provider but is not connected: "
            "connect it on the Integrations tab."
        )
    return spec.factory(workspace)
