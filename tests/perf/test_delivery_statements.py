"""The worker's path (issue 20): a processed Calendly ``invitee.created`` costs at most 12 SQL
statements, with the same outcome a user sees (one appointment, the lead booked, its meeting
reminders started, the delivery processed), and the events after it stay right.

Run with ``-s`` to see the statements (the README's "The request path" lists them)."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Appointment, Offer
from followups.models import Enrollment, SentStep, Sequence, Trigger
from integrations import inbox, processing
from integrations.models import WebhookDelivery
from tests.calendly.helpers import load_fixture
from tests.factories import LeadFactory
from workspaces.models import Lead

# Committed transactions, as in the worker: inside a test transaction every atomic block would
# be a SAVEPOINT and the count would not be the worker's.
pytestmark = pytest.mark.django_db(transaction=True)

MAX_STATEMENTS = 12
TRANSACTION = {"BEGIN", "COMMIT", "ROLLBACK"}
API = "https://api.calendly.com"


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_body(name: str, *, invitee: str, start: datetime, **payload) -> bytes:
    """A fixture's event for our own invitee URI, its meeting at ``start``."""
    data = load_fixture(name)
    event_uri = invitee.rpartition("/invitees/")[0]
    data["payload"].update(uri=invitee, event=event_uri, **payload)
    scheduled = data["payload"]["scheduled_event"]
    scheduled.update(
        uri=event_uri, start_time=iso(start), end_time=iso(start + timedelta(minutes=30))
    )
    return json.dumps(data).encode()


def store(workspace, body: bytes, *, key_prefix: str = "") -> WebhookDelivery:
    """A new stored delivery of ``body``; ``key_prefix`` stores the same event again under
    another delivery key."""
    data = json.loads(body)
    delivery, created = inbox.accept_delivery(
        provider="calendly",
        workspace=workspace,
        dedupe_key=f"{key_prefix or data['event']}:{data['payload']['uri']}",
        event=data["event"],
        body=body,
        headers={"Content-Type": "application/json"},
    )
    assert created
    return delivery


def process_counted(delivery) -> tuple[str, list[str]]:
    """Process the delivery as the worker's task does; the statements it ran, without BEGIN and
    COMMIT (the benchmark's counter in the worker does not see them either)."""
    with CaptureQueriesContext(connection) as queries:
        outcome = processing.process(delivery.pk)
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in TRANSACTION]
    print(f"\n{len(statements)} statements (+ BEGIN/COMMIT) for {delivery.event}:")
    for number, sql in enumerate(statements, 1):
        print(f"  {number:2}. {sql[:200]}")
    return outcome.state, statements


@pytest.fixture(autouse=True)
def _stored_not_processed(settings):
    """Stored rows are announced by NOTIFY (nobody listens here): the test processes them."""
    settings.WEBHOOK_HANDOFF = "notify"
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def invitee():
    return f"{API}/scheduled_events/{uuid.uuid4()}/invitees/{uuid.uuid4()}"


@pytest.fixture
def meeting():
    """Three days ahead: both default reminders (a day and an hour before) are still to come."""
    return (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)


@pytest.fixture
def jordan(workspace, calendly_stored):
    """The fixture's invitee (Jordan.Lee@example.com), with an open offer of times."""
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com")
    Offer.objects.create(workspace=workspace, lead=lead, timezone="America/Chicago")
    return lead


def test_invitee_created_is_processed_in_at_most_twelve_statements(
    workspace, jordan, invitee, meeting
):
    assert Sequence.objects.filter(workspace=workspace, trigger=Trigger.POST_BOOKING).exists()
    delivery = store(workspace, event_body("invitee_created.json", invitee=invitee, start=meeting))

    state, statements = process_counted(delivery)

    assert state == WebhookDelivery.State.PROCESSED
    assert len(statements) <= MAX_STATEMENTS
    appointment = Appointment.objects.get()
    assert (appointment.lead_id, appointment.external_id, appointment.start_at) == (
        jordan.pk,
        invitee,
        meeting,
    )
    assert (appointment.status, appointment.source) == ("booked", "webhook")
    assert (appointment.host_email, appointment.event_type_name) == (
        "closer@agency.example",
        "Discovery Call",
    )
    jordan.refresh_from_db()
    assert (jordan.status, jordan.booked_slot) == (Lead.Status.MEETING_BOOKED, meeting)
    assert Offer.objects.get(lead=jordan).state == Offer.State.CLOSED
    reminders = Enrollment.objects.get(lead=jordan, sequence__trigger=Trigger.POST_BOOKING)
    assert (reminders.state, reminders.appointment_id) == ("active", appointment.pk)
    assert reminders.next_due_at == meeting - timedelta(days=1)  # the day-before reminder
    assert not SentStep.objects.exists()  # nothing skipped: both reminders are ahead
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("processed", 1, "")


def test_a_reminder_whose_time_passed_is_skipped_within_the_same_budget(workspace, jordan, invitee):
    soon = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    delivery = store(workspace, event_body("invitee_created.json", invitee=invitee, start=soon))

    state, statements = process_counted(delivery)

    assert state == WebhookDelivery.State.PROCESSED
    assert len(statements) <= MAX_STATEMENTS
    reminders = Enrollment.objects.get(lead=jordan, sequence__trigger=Trigger.POST_BOOKING)
    skipped = SentStep.objects.get(enrollment=reminders)
    assert (skipped.outcome, skipped.step.delay_minutes) == ("skipped", -24 * 60)
    assert reminders.next_due_at == soon - timedelta(hours=1)


def test_a_cancel_after_the_booking_and_a_repeat_stay_right(workspace, jordan, invitee, meeting):
    created = event_body("invitee_created.json", invitee=invitee, start=meeting)
    processing.process(store(workspace, created).pk)

    canceled = store(
        workspace,
        event_body("invitee_canceled.json", invitee=invitee, start=meeting),
    )
    state, _ = process_counted(canceled)

    assert state == WebhookDelivery.State.PROCESSED
    appointment = Appointment.objects.get()
    assert appointment.status == "canceled"
    jordan.refresh_from_db()
    assert (jordan.status, jordan.booked_slot) == (Lead.Status.QUALIFIED, None)
    reminders = Enrollment.objects.get(lead=jordan, sequence__trigger=Trigger.POST_BOOKING)
    assert (reminders.state, reminders.end_reason) == ("canceled", "canceled")
    rebook = Enrollment.objects.get(lead=jordan, sequence__trigger=Trigger.REBOOK)
    assert rebook.state == "active"
    assert jordan.tasks.get().kind == "rebook"

    # The same booking delivered again (a second delivery id): nothing comes back to life.
    state, statements = process_counted(store_copy(workspace, created))
    assert state == WebhookDelivery.State.PROCESSED
    assert len(statements) <= MAX_STATEMENTS
    assert Appointment.objects.get().status == "canceled"
    jordan.refresh_from_db()
    assert jordan.status == Lead.Status.QUALIFIED
    assert Enrollment.objects.filter(lead=jordan, state="active").count() == 1  # the rebook one


def store_copy(workspace, body: bytes) -> WebhookDelivery:
    """The same event under another delivery key (Calendly retried it after we answered)."""
    return store(workspace, body, key_prefix="retried")


def test_a_second_booking_of_the_lead_moves_its_reminders(workspace, jordan, meeting):
    first = f"{API}/scheduled_events/{uuid.uuid4()}/invitees/{uuid.uuid4()}"
    second = f"{API}/scheduled_events/{uuid.uuid4()}/invitees/{uuid.uuid4()}"
    later = meeting + timedelta(days=2)
    processing.process(
        store(workspace, event_body("invitee_created.json", invitee=first, start=meeting)).pk
    )

    state, statements = process_counted(
        store(workspace, event_body("invitee_created.json", invitee=second, start=later))
    )

    assert state == WebhookDelivery.State.PROCESSED
    assert Appointment.objects.filter(status="booked").count() == 2
    jordan.refresh_from_db()
    assert jordan.booked_slot == later  # the latest live booking
    reminders = Enrollment.objects.get(lead=jordan, state="active")
    assert reminders.appointment_id == Appointment.objects.get(external_id=second).pk
    assert reminders.next_due_at == later - timedelta(days=1)
