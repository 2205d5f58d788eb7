"""Turning connections, deliveries and audit events into what the tab's templates show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from followups import channels
from integrations import provider_actions, reconcile, sample_delivery, selectors
from integrations.delivery_links import DeliveryLink
from integrations.models import Connection, WebhookDelivery
from integrations.providers import ProviderSpec, all_specs, find_spec, webhook_url
from workspaces.models import Workspace

DEFAULT_CARD = "integrations/cards/default.html"
ERROR_PREVIEW = 160
# A delivery still unprocessed this long after it arrived has no worker on it (one takes it in
# well under a second when workers run).
WORKER_WAIT = timedelta(seconds=30)


# How the summary line names each channel ("messages go by e-mail").
CHANNEL_PHRASES = {
    Workspace.MessagingChannel.EMAIL: "by e-mail",
    Workspace.MessagingChannel.WEBHOOK_OUT: "through the outbound webhook",
    Workspace.MessagingChannel.GHL: "through GoHighLevel",
}
NO_CHANNEL = "no channel can reach leads"


def messaging_summary(workspace: Workspace) -> str:
    """The summary line's last part: the channel messages actually go through now (the chosen
    one when connected, else the first connected), or that none can reach leads."""
    channel = channels.channel_for(workspace)
    name = getattr(channel, "name", "") if channel is not None else ""
    if name == "record_only":
        return "messages are only recorded, not sent"
    if not name:
        return NO_CHANNEL
    return f"messages go {CHANNEL_PHRASES.get(name, 'through ' + name)}"


@dataclass
class Card:
    spec: ProviderSpec
    template: str
    connection: Connection | None
    form: Any
    webhook_url: str
    is_booking_provider: bool
    extra: dict = field(default_factory=dict)
    html: str = ""

    @property
    def status(self) -> str:
        return self.connection.status if self.connection else Connection.Status.DISCONNECTED

    @property
    def status_label(self) -> str:
        return Connection.Status(self.status).label

    @property
    def is_connected(self) -> bool:
        return bool(self.connection and self.connection.is_usable)

    @property
    def has_credentials(self) -> bool:
        return bool(self.connection and self.connection.status != Connection.Status.DISCONNECTED)


def build_cards(
    *, request, workspace: Workspace, forms: dict[str, Any], revealed: dict | None = None
) -> list[Card]:
    """One card per registered provider, rendered from its own template; ``forms`` holds a
    bound form with errors to show again, ``revealed`` a secret to show this once, by provider."""
    stored = selectors.connections_by_provider(workspace=workspace)
    specs = all_specs()
    # The glance (last webhook) is drawn on booking providers' cards only.
    glanced = [s.name for s in specs if s.books]
    deliveries = selectors.last_deliveries(workspace=workspace, providers=glanced)
    reconciled = selectors.reconcile_states(workspace=workspace)
    cards = []
    for spec in specs:
        connection = stored.get(spec.name)
        form = forms.get(spec.name)
        if form is None and provider_actions.can_connect(spec):
            form = spec.settings_form(initial=_initial(connection))
        extra = {}
        if spec.card_context:
            extra = spec.card_context(workspace=workspace, connection=connection) or {}
        extra = {**extra, "revealed": (revealed or {}).get(spec.name) or {}}
        card = Card(
            spec=spec,
            template=spec.card_template or DEFAULT_CARD,
            connection=connection,
            form=form,
            webhook_url=webhook_url(spec, workspace),
            is_booking_provider=workspace.booking_provider == spec.name,
            extra=extra,
        )
        context = {
            **_card_context(card, workspace),
            "last_delivery": deliveries.get(spec.name),
            "last_reconcile": reconciled.get(spec.name),
            **card.extra,
        }
        card.html = render_to_string(card.template, context, request)
        cards.append(card)
    return cards


def _card_context(card: Card, workspace: Workspace) -> dict:
    """What a card template sees: ``card`` and its parts at the top level and the tab's URLs for
    this provider (``build_cards`` adds the last delivery and reconcile run, read for all cards
    at once, and whatever the provider's ``card_context`` returned)."""
    args = [workspace.public_id, card.spec.name]
    return {
        "workspace": workspace,
        "card": card,
        "spec": card.spec,
        "connection": card.connection,
        "form": card.form,
        "webhook_url": card.webhook_url,
        "is_booking_provider": card.is_booking_provider,
        "connect_url": reverse("integrations_connect", args=args),
        "check_url": reverse("integrations_check", args=args),
        "disconnect_url": reverse("integrations_disconnect", args=args),
        "sync_url": reverse("integrations_sync", args=args)
        if reconcile.can_sync(card.spec.name)
        else "",
        "test_event_url": reverse("integrations_test_event", args=args)
        if sample_delivery.can_send(card.spec)
        else "",
    }


def _initial(connection: Connection | None) -> dict:
    """Pre-fill the form with the stored non-secret settings; secrets are never rendered."""
    return dict(connection.config) if connection else {}


@dataclass(frozen=True)
class DeliveryRow:
    delivery: WebhookDelivery
    provider_label: str
    error_preview: str
    link: DeliveryLink | None = None

    @property
    def can_replay(self) -> bool:
        return self.delivery.is_replayable

    @property
    def waiting_for_worker(self) -> bool:
        """Received a while ago and never picked up: no worker is consuming the queue."""
        d = self.delivery
        waited = timezone.now() - d.received_at
        return d.state == WebhookDelivery.State.RECEIVED and not d.attempts and waited > WORKER_WAIT


def delivery_rows(
    deliveries: list[WebhookDelivery], links: dict[int, DeliveryLink] | None = None
) -> list[DeliveryRow]:
    rows = []
    for delivery in deliveries:
        spec = find_spec(delivery.provider)
        error = delivery.last_error
        if len(error) > ERROR_PREVIEW:
            error = error[: ERROR_PREVIEW - 1] + "…"
        rows.append(
            DeliveryRow(
                delivery=delivery,
                provider_label=spec.label if spec else delivery.provider,
                error_preview=error,
                link=(links or {}).get(delivery.pk),
            )
        )
    return rows
