"""Calendly, live: the app on pytest-django's live server, a real Celery worker on a Redis of the
test's own, and the Calendly sandbox delivering its signed webhooks to our running endpoint.

Connect Calendly → the worker makes the webhook subscription at Calendly, pointing at our URL
and signed with the key we store → an offer is made through the booking API → the lead's reply
arrives through the API → the worker auto-books it through the Scheduling API → the sandbox's
``invitee.created`` reaches our endpoint and the worker maps it to the same appointment → the
lead is booked, reminded and confirmed; then the invitee cancels at Calendly → the webhook puts
the lead back to ``qualified`` with a rebook task for the setters.

Nothing is faked on our side and nothing is slept for: each step is awaited with a deadline,
and a step that never happens fails saying which, with the worker's log.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from rest_framework_api_key.models import APIKey

from booking.models import Appointment, BookingAttempt, InboundMessage
from calendly import account as calendly_account
from calendly import connection
from calendly.models import Subscription
from followups.models import Enrollment, OutboundMessage, Task
from integrations import selectors
from integrations.models import WebhookDelivery
from tests.calendly.helpers import SandboxDriver
from tests.support.fixtures import celery_worker  # noqa: F401
from workspaces.formatting import format_time
from workspaces.models import Lead

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAIT = 30.0  # seconds for any one step; a healthy one takes well under a second
LEAD_ZONE = "America/Chicago"
EVENTS = {
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
}


@pytest.fixture
def sandbox(settings):
    sandbox = SandboxDriver.start()
    settings.CALENDLY_API_BASE = settings.CALENDLY_AUTH_BASE = sandbox.base_url
    yield sandbox
    sandbox.stop()


@pytest.fixture
def worker(celery_worker, live_server, sandbox, settings):  # noqa: F811
    settings.PUBLIC_BASE_URL = live_server.url  # where Calendly must send our webhooks
    return celery_worker(
        env={"CALENDLY_API_BASE": sandbox.base_url, "CALENDLY_AUTH_BASE": sandbox.base_url}
    )


@pytest.fixture
def api(live_server, workspace):
    _, key = APIKey.objects.create_key(name="e2e")
    base = f"{live_server.url}/api/workspaces/{workspace.public_id}"
    with httpx.Client(base_url=base, headers={"Authorization": f"Api-Key {key}"}) as client:
        yield client


def wait_for(check, *, what: str, worker):
    deadline = time.monotonic() + WAIT
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(
                f"Within {WAIT}s, never: {what}.\n--- the worker's log ---\n{worker.log()[-5000:]}"
            )
        time.sleep(0.05)


def free_times(count: int) -> list[datetime]:
    """11:00 in New York (10:00 for the lead) on the next weekdays from tomorrow on: inside
    the booking window, business hours and the lead's waking hours."""
    zone = ZoneInfo("America/New_York")
    day = datetime.now(zone).date() + timedelta(days=1)
    found = []
    while len(found) < count:
        if day.weekday() < 5:
            found.append(datetime(day.year, day.month, day.day, 11, tzinfo=zone).astimezone(UTC))
        day += timedelta(days=1)
    return found


def processed(event: str):
    return WebhookDelivery.objects.filter(
        provider="calendly", event=event, state="processed"
    ).first()


def test_connect_offer_reply_book_by_api_webhook_then_cancel_at_calendly(
    worker, sandbox, live_server, api, workspace
):
    # Connecting: the subscription is made by the worker, for our URL, with the key we store.
    connection.api_connect(
        workspace=workspace,
        data={"access_token": sandbox.token, "event_type": sandbox.event_type_uri()},
    )
    hook = f"{live_server.url}/webhooks/calendly/{workspace.public_id}/"
    ours = wait_for(
        lambda: Subscription.objects.filter(workspace=workspace, state="active").first(),
        what="the worker made the webhook subscription at Calendly",
        worker=worker,
    )
    (at_calendly,) = sandbox.subscriptions()
    assert (at_calendly["callback_url"], at_calendly["state"]) == (hook, "active")
    assert set(at_calendly["events"]) == EVENTS
    assert (ours.uri, ours.callback_url, ours.signing) == (at_calendly["uri"], hook, "ours")
    stored_key = selectors.get_connection(workspace=workspace, provider="calendly").secret(
        calendly_account.SIGNING_KEY
    )
    keys = sandbox.server.state.subscription_keys
    assert stored_key and keys[at_calendly["uri"].rsplit("/", 1)[-1]] == stored_key
    workspace.booking_provider, workspace.auto_book_enabled = "calendly", True
    workspace.save()
    starts = free_times(3)
    sandbox.config(availability=[start.isoformat() for start in starts])
    probes = sandbox.calls("POST", "/invitees")  # the scope check made when connecting

    # A lead, and an offer of the three free times sent to it.
    made = api.post(
        "/leads",
        json={
            "first_name": "Jordan",
            "last_name": "Lee",
            "email": "jordan.lee@example.com",
            "phone": "+13125550142",
            "timezone": LEAD_ZONE,
        },
    )
    assert made.status_code == 201, made.text
    lead_id = made.json()["id"]
    # Not sent: this Calendly-only workspace has no messaging channel (tests/messaging covers it).
    offered = api.post(f"/leads/{lead_id}/offers", json={"channel": "sms"})
    assert offered.status_code == 201, offered.text
    slots = offered.json()["slots"]
    assert [datetime.fromisoformat(s["start_at"]) for s in slots] == starts
    accepted = starts[1]

    # The reply accepting the second time, through the API; the worker books it at Calendly.
    replied = api.post(
        f"/leads/{lead_id}/messages", json={"channel": "sms", "body": "Option 2 works for me"}
    )
    assert replied.status_code == 201, replied.text
    delivery = wait_for(
        lambda: processed("invitee.created"),
        what="the reply was booked and Calendly's invitee.created webhook processed",
        worker=worker,
    )

    # The worker booked it (not this process: its tasks go to the worker's broker).
    worker.wait_for_log(r"booking\.tasks\.auto_book\[[^\]]+\] succeeded in \S+: 'booked'")
    appointment = Appointment.objects.get()  # still exactly one, with the webhook in
    assert (appointment.source, appointment.status) == ("auto_book", "booked")
    assert (appointment.provider, appointment.start_at) == ("calendly", accepted)
    (invitee,) = sandbox.state()["invitees"]
    assert appointment.external_id == invitee["uri"] and invitee["scheduling_method"] == "api"
    assert invitee["tracking"]["utm_content"] == str(lead_id)
    assert sandbox.calls("POST", "/invitees") == probes + 1  # booked once, through the API
    assert delivery.workspace_id == workspace.pk
    assert InboundMessage.objects.get(lead_id=lead_id).autobook_outcome == "booked"
    assert BookingAttempt.objects.get(lead_id=lead_id).state == "booked"
    lead = Lead.objects.get(pk=lead_id)
    assert (lead.status, lead.booked_slot) == (Lead.Status.MEETING_BOOKED, accepted)
    reminders = Enrollment.objects.get(lead=lead, sequence__trigger="post_booking")
    assert (reminders.state, reminders.appointment_id) == ("active", appointment.pk)
    confirmation = OutboundMessage.objects.get(
        lead=lead, dedupe_key=f"confirm:appointment:{appointment.pk}"
    )
    assert confirmation.channel == "sms"
    assert confirmation.body == f"You're booked for {format_time(accepted, LEAD_ZONE)}."

    # The invitee cancels at Calendly: the webhook puts the lead back, with a rebook task.
    sandbox.cancel(invitee=invitee["uri"], reason="Something came up")
    wait_for(
        lambda: processed("invitee.canceled"),
        what="Calendly's invitee.canceled webhook processed",
        worker=worker,
    )

    appointment.refresh_from_db()
    assert appointment.status == "canceled"
    assert appointment.cancel_reason == "Canceled in Calendly by the invitee: Something came up"
    lead.refresh_from_db()
    assert (lead.status, lead.booked_slot) == (Lead.Status.QUALIFIED, None)
    rebook = Task.objects.get(lead=lead, kind="rebook")
    assert rebook.state == "open" and rebook.appointment_id == appointment.pk
    reminders.refresh_from_db()
    assert reminders.state == "canceled"
    assert Appointment.objects.count() == 1
    assert [d["status"] for d in sandbox.state()["deliveries"]] == [200, 200]
