"""What the Calendly card on the Integrations tab shows. Never a secret: the token only as its
last four characters, the signing key not at all."""

from __future__ import annotations

from django.urls import reverse

from integrations import booking_settings
from integrations.models import Connection
from integrations.providers import find_spec
from workspaces.models import Workspace

from . import account, connection, scopes
from .models import Subscription

# Calendly's location kinds by the names its own pages show.
LOCATION_LABELS = {
    "physical": "In-person meeting",
    "outbound_call": "Phone call",
    "inbound_call": "Phone call",
    "ask_invitee": "Invitee's choice",
    "custom": "Custom location",
    "google_conference": "Google Meet",
    "zoom_conference": "Zoom",
    "microsoft_teams_conference": "Microsoft Teams",
    "gotomeeting_conference": "GoTo Meeting",
    "webex_conference": "Webex",
}

SUBSCRIPTION_LABELS = {
    "never": "never created",
    **{state.value: state.label.lower() for state in Subscription.State},
}


def card_context(*, workspace: Workspace, **kwargs) -> dict:
    """Called by the Integrations tab as ``card_context(workspace=..., connection=...)``."""
    subscription_row = Subscription.objects.filter(workspace=workspace).first()
    status = connection.status_with(workspace, subscription_row)
    stored = kwargs.get("connection")
    live = stored is not None and stored.status != Connection.Status.DISCONNECTED
    subscription = status["subscription"]
    args = [workspace.public_id]
    listed = [_with_location(t) for t in stored.config.get("event_types", [])] if live else []
    status["event_type"] = _with_location(status["event_type"])
    tracked = {t["uri"] for t in status["tracked_event_types"]}
    return {
        "calendly": status,
        "calendly_live": live,
        "calendly_event_types": listed,
        "calendly_event_type_groups": _grouped(listed, tracked),
        "calendly_scopes": scopes.REQUIRED_SCOPES,
        "calendly_oauth": connection.oauth_configured(),
        "calendly_subscription": subscription,
        "calendly_subscription_row": subscription_row,
        "calendly_subscription_label": SUBSCRIPTION_LABELS.get(
            subscription["state"], subscription["state"]
        ),
        "calendly_oauth_url": reverse("calendly_oauth_start", args=args),
        "calendly_repair_url": reverse("calendly_repair_subscription", args=args),
        "calendly_disable_url": reverse("calendly_disable", args=args),
        **_booking_choice(workspace),
    }


def location_label(kinds) -> str:
    """Where an event type's meetings happen, as Calendly names it ("Zoom or Phone call")."""
    labels = [LOCATION_LABELS.get(k, str(k).replace("_", " ")) for k in kinds or ()]
    return " or ".join(dict.fromkeys(labels))


def _with_location(event_type: dict) -> dict:
    return {**event_type, "location": location_label(event_type.get("locations"))}


def _booking_choice(workspace: Workspace) -> dict:
    """Which provider books now, and whether the card offers to make Calendly the one: when
    Calendly doesn't book yet, ticked already if the provider that books now isn't connected
    (nothing could be booked otherwise)."""
    current = find_spec(workspace.booking_provider)
    current_connected = current is not None and current.is_connected(workspace)
    return {
        "calendly_books": workspace.booking_provider == "calendly",
        "calendly_booking_now": current.label if current else workspace.booking_provider,
        "calendly_booking_now_connected": current_connected,
        "calendly_offer_booking": workspace.booking_provider != "calendly",
        "calendly_offer_booking_checked": not current_connected,
    }


def connect_from_card(*, workspace: Workspace, data: dict, actor=None, actor_label: str = ""):
    """The card's form (and the admin API's PUT): connect, then, when asked and Calendly is
    connected (an event type chosen), make it the booking provider in the same step (audited
    like a choice on the Booking section)."""
    result = connection.connect(
        workspace=workspace, data=data, actor=actor, actor_label=actor_label
    )
    if data.get("make_booking_provider") and account.is_connected(workspace):
        booking_settings.choose_booking_provider(
            workspace=workspace, provider="calendly", actor=actor, actor_label=actor_label
        )
    return result


def _grouped(event_types: list[dict], tracked: set[str]) -> list[dict]:
    """The event types by owner (the user's own, each team's, the organization's), in the
    order Calendly listed them, each marked when tracked."""
    groups: dict[str, list[dict]] = {}
    for event_type in event_types:
        label = event_type.get("owner_label") or "Your event types"
        groups.setdefault(label, []).append({**event_type, "tracked": event_type["uri"] in tracked})
    return [{"owner": owner, "event_types": items} for owner, items in groups.items()]
