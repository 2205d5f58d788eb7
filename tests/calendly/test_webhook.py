"""POST /webhooks/calendly/<workspace>/: the signature first, store once, answer fast; each
fixture file's event mapped through the lifecycle by the inbox's task."""

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection as db
from django.urls import reverse

from booking.models import Appointment
from integrations.models import Connection, WebhookDelivery
from tests.calendly.fixtures import FIXTURE_SIGNING_KEY
from tests.calendly.helpers import fixture_bytes, load_fixture, signed_headers
from tests.factories import LeadFactory
from workspaces.models import Lead, Workspace

pytestmark = pytest.mark.django_db

CREATED, CANCELED = "invitee_created.json", "invitee_canceled.json"
MOVED_AWAY, MOVED_HERE = "invitee_rescheduled_canceled.json", "invitee_rescheduled_created.json"
OLD_INVITEE = load_fixture(CREATED)["payload"]["uri"]
NEW_INVITEE = load_fixture(MOVED_HERE)["payload"]["uri"]


@pytest.fixture
def url(workspace):
    return reverse("calendly_webhook", kwargs={"workspace_id": workspace.public_id})


@pytest.fixture
def jordan(workspace):
    """The lead the fixtures' invitee (Jordan.Lee@example.com) is."""
    return LeadFactory(workspace=workspace, email="jordan.lee@example.com")


@pytest.fixture
def deliver(client, url, calendly_stored, on_commit):
    """Sign a body with the workspace's key and POST it; processing runs after commit."""

    def post(body, *, key=FIXTURE_SIGNING_KEY, at=None, headers=None):
        body = body if isinstance(body, bytes) else fixture_bytes(body)
        sent = signed_headers(body, key, at=at) if headers is None else headers
        with on_commit():
            return client.post(url, data=body, content_type="application/json", headers=sent)

    return post


def rows():
    return list(WebhookDelivery.objects.order_by("id"))


def refused(workspace):
    conn = Connection.objects.get(workspace=workspace, provider="calendly")
    return conn.rejected_count, conn.last_rejected_reason


def body_of(name, **changes):
    data = load_fixture(name)
    for key, value in changes.items():
        data["payload"][key] = value
    return json.dumps(data).encode()


# One test per fixture file


def test_invitee_created_books_the_lead(deliver, jordan):
    response = deliver(CREATED)

    appointment = Appointment.objects.get()
    jordan.refresh_from_db()
    assert response.status_code == 200 and response.json()["detail"] == "stored"
    assert (appointment.lead, appointment.status, appointment.source) == (
        jordan,
        "booked",
        "webhook",
    )
    assert appointment.external_id == OLD_INVITEE
    assert appointment.secondary_id == load_fixture(CREATED)["payload"]["event"]
    assert appointment.start_at == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert jordan.status == Lead.Status.MEETING_BOOKED
    assert rows()[0].state == "processed"


def test_invitee_canceled_cancels_and_the_lead_can_be_offered_times_again(deliver, jordan):
    deliver(CREATED)
    deliver(CANCELED)

    appointment = Appointment.objects.get()
    jordan.refresh_from_db()
    assert appointment.status == "canceled"
    assert "Canceled in Calendly by the invitee" in appointment.cancel_reason
    assert jordan.status == Lead.Status.QUALIFIED and jordan.booked_slot is None


def test_invitee_no_show_created_marks_the_no_show(deliver, jordan):
    deliver(CREATED)
    deliver("invitee_no_show_created.json")

    jordan.refresh_from_db()
    assert Appointment.objects.get().status == "no_show"
    assert jordan.status == Lead.Status.NO_SHOW


def test_invitee_no_show_deleted_clears_it(deliver, jordan):
    deliver(CREATED)
    deliver("invitee_no_show_created.json")
    with time_machine.travel(datetime(2026, 12, 1, 17, 5, tzinfo=UTC), tick=False):
        response = deliver("invitee_no_show_deleted.json")

    jordan.refresh_from_db()
    assert response.status_code == 200
    assert Appointment.objects.get().status == "completed"  # the meeting was over: it was held
    assert jordan.status == Lead.Status.COMPLETED


def test_invitee_rescheduled_canceled_then_created_moves_the_booking(deliver, jordan):
    deliver(CREATED)
    deliver(MOVED_AWAY)
    deliver(MOVED_HERE)

    old = Appointment.objects.get(external_id=OLD_INVITEE)
    new = Appointment.objects.get(external_id=NEW_INVITEE)
    jordan.refresh_from_db()
    assert (old.status, old.rescheduled_to) == ("rescheduled", new)
    assert new.status == "booked"
    assert new.start_at == datetime(2026, 12, 3, 20, 30, tzinfo=UTC)
    assert jordan.status == Lead.Status.MEETING_BOOKED and jordan.booked_slot == new.start_at


def test_invitee_rescheduled_created_before_its_cancel_moves_it_the_same(deliver, jordan):
    deliver(CREATED)
    deliver(MOVED_HERE)
    deliver(MOVED_AWAY)

    old = Appointment.objects.get(external_id=OLD_INVITEE)
    new = Appointment.objects.get(external_id=NEW_INVITEE)
    jordan.refresh_from_db()
    assert (old.status, old.rescheduled_to, new.status) == ("rescheduled", new, "booked")
    assert jordan.status == Lead.Status.MEETING_BOOKED and jordan.booked_slot == new.start_at


def test_routing_form_submission_created_is_stored_and_ignored(deliver, jordan):
    response = deliver("routing_form_submission_created.json")

    assert response.status_code == 200
    assert [(row.event, row.state) for row in rows()] == [
        ("routing_form_submission.created", "ignored")
    ]
    assert not Appointment.objects.exists()


# Order, replays, matching


def test_a_replayed_delivery_is_one_row_and_one_appointment(deliver, jordan):
    first = deliver(CREATED)
    second = deliver(CREATED)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["detail"] == "duplicate"
    assert len(rows()) == 1 and Appointment.objects.count() == 1


def test_cancel_before_create_ends_canceled(deliver, jordan):
    deliver(CANCELED)
    deliver(CREATED)

    jordan.refresh_from_db()
    assert Appointment.objects.get().status == "canceled"
    assert jordan.status != Lead.Status.MEETING_BOOKED


def test_a_booking_of_another_event_type_is_ignored(deliver, jordan):
    other = load_fixture(CREATED)
    other["payload"]["scheduled_event"]["event_type"] = (
        "https://api.calendly.com/event_types/ffffffff-0000-4000-8000-000000000000"
    )
    response = deliver(json.dumps(other).encode())

    assert response.status_code == 200
    assert rows()[0].state == "ignored" and not Appointment.objects.exists()


def test_an_unmatched_invitee_becomes_a_lead_when_the_workspace_says_so(deliver, workspace):
    workspace.unmatched_bookings = Workspace.UnmatchedPolicy.CREATE_LEAD
    workspace.save()

    deliver(CREATED)

    lead = Lead.objects.get()
    assert (lead.email, lead.first_name, lead.last_name) == (
        "jordan.lee@example.com",
        "Jordan",
        "Lee",
    )
    assert (lead.phone, lead.timezone, lead.source) == (
        "+13125550142",
        "America/Chicago",
        "calendly",
    )
    assert Appointment.objects.get().lead == lead


def test_an_unmatched_invitee_is_kept_unmatched_when_the_workspace_says_so(deliver, workspace):
    workspace.unmatched_bookings = Workspace.UnmatchedPolicy.KEEP_UNMATCHED
    workspace.save()

    deliver(CREATED)

    assert rows()[0].state == "unmatched"
    assert not Lead.objects.exists() and not Appointment.objects.exists()


def test_our_utm_content_matches_that_lead_even_with_another_email(deliver, workspace, jordan):
    ours = LeadFactory(workspace=workspace, email="sam.rivera@example.com")
    tracking = {**load_fixture(CREATED)["payload"]["tracking"], "utm_content": str(ours.pk)}

    deliver(body_of(CREATED, tracking=tracking))

    assert Appointment.objects.get().lead == ours  # not Jordan, whose e-mail the invitee used


def test_a_lead_id_of_another_workspace_is_never_matched(deliver, workspace, jordan):
    stranger = LeadFactory()  # another workspace
    tracking = {**load_fixture(CREATED)["payload"]["tracking"], "utm_content": str(stranger.pk)}

    deliver(body_of(CREATED, tracking=tracking))

    assert Appointment.objects.get().lead == jordan


# Refusals: nothing stored


def test_a_forged_signature_is_401_counted_and_leaves_no_row(deliver, workspace, jordan):
    response = deliver(CREATED, key="whsec-somebody-else")

    assert response.status_code == 401
    assert rows() == [] and not Appointment.objects.exists()
    assert refused(workspace) == (1, "signature does not match")


def test_a_body_changed_after_signing_is_refused(deliver, workspace):
    body = fixture_bytes(CREATED)
    headers = signed_headers(body, FIXTURE_SIGNING_KEY)

    response = deliver(body.replace(b"Jordan Lee", b"Mallory X"), headers=headers)

    assert response.status_code == 401 and rows() == []


def test_a_stale_signature_is_refused(deliver, workspace):
    response = deliver(CREATED, at=time.time() - 181)

    assert response.status_code == 401 and rows() == []
    assert refused(workspace) == (1, "signature is too old")


def test_a_signature_from_the_future_is_refused(deliver, workspace):
    response = deliver(CREATED, at=time.time() + 600)

    assert response.status_code == 401 and rows() == []
    assert refused(workspace) == (1, "signature is from the future")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Calendly-Webhook-Signature": ""},
        {"Calendly-Webhook-Signature": "v1=abc"},
        {"Calendly-Webhook-Signature": "t=1,v1=not-hex"},
    ],
)
def test_an_unsigned_or_malformed_signature_is_refused(deliver, workspace, headers):
    response = deliver(CREATED, headers=headers)

    assert response.status_code == 401 and rows() == []
    assert refused(workspace)[0] == 1


def test_a_disconnected_workspace_refuses_every_delivery(deliver, workspace):
    from integrations import connections

    connections.disconnect(workspace=workspace, provider="calendly")

    response = deliver(CREATED)

    assert response.status_code == 401 and rows() == []
    assert refused(workspace) == (1, "no signing key is set")


def test_an_unknown_workspace_is_404_before_anything_else(client):
    url = reverse("calendly_webhook", kwargs={"workspace_id": uuid.uuid4()})

    response = client.post(url, data=b"{}", content_type="application/json")

    assert response.status_code == 404 and rows() == []


def test_a_body_over_256_kib_is_413_and_leaves_no_row(deliver, workspace):
    body = json.dumps({"event": "invitee.created", "pad": "x" * (256 * 1024)}).encode()

    response = deliver(body)

    assert response.status_code == 413 and rows() == []


# Verified but unreadable: 400, kept as failed


def test_malformed_json_is_400_and_recorded_failed(deliver):
    body = b'{"event": "invitee.created", "payload": '

    response = deliver(body)

    assert response.status_code == 400 and response.json()["detail"] == "body is not JSON"
    assert [(row.state, row.last_error, row.raw_body) for row in rows()] == [
        ("failed", "body is not JSON", body)
    ]


def test_a_body_without_event_is_400_and_recorded_failed(deliver):
    data = load_fixture(CREATED)
    del data["event"]

    response = deliver(json.dumps(data).encode())

    assert response.status_code == 400
    assert [(row.state, row.last_error) for row in rows()] == [("failed", "event is missing")]


def test_an_invitee_event_without_what_we_need_is_400_and_recorded(deliver):
    response = deliver(body_of(CREATED, scheduled_event=None))

    assert response.status_code == 400
    assert rows()[0].state == "failed"


# The request path


def test_a_database_that_cannot_store_answers_503_so_calendly_retries(deliver, jordan):
    with db.cursor() as cursor:  # a real database failure, as a full disk raises it
        cursor.execute(
            "CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_insert BEFORE INSERT ON integrations_webhookdelivery "
            "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
        )

    response = deliver(CREATED)

    assert response.status_code == 503 and response["Retry-After"]
    assert not WebhookDelivery.objects.exists() and not Appointment.objects.exists()


def test_storing_a_delivery_costs_two_statements_and_no_call_to_calendly(
    client, url, calendly_stored
):
    from django.test.utils import CaptureQueriesContext

    body = fixture_bytes(CREATED)
    headers = signed_headers(body, FIXTURE_SIGNING_KEY)

    # No respx, no sandbox: a call to Calendly here would fail the request.
    with CaptureQueriesContext(db) as queries:
        response = client.post(url, data=body, content_type="application/json", headers=headers)

    # The test's own transaction turns the request's into a savepoint: those are not counted.
    sent = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"))
    ]
    assert response.status_code == 200 and rows()[0].state == "received"
    # The workspace with its connection (and the store's timeout), then the delivery.
    assert len(sent) == 2, sent
    assert '"public_id"' in sent[0] and "INSERT INTO" in sent[1]


def test_get_is_not_allowed(client, url):
    assert client.get(url).status_code == 405


def test_the_endpoint_needs_no_csrf_token(url, calendly_stored, jordan, on_commit):
    from django.test import Client

    body = fixture_bytes(CREATED)
    strict = Client(enforce_csrf_checks=True)
    with on_commit():
        response = strict.post(
            url,
            data=body,
            content_type="application/json",
            headers=signed_headers(body, FIXTURE_SIGNING_KEY),
        )

    assert response.status_code == 200 and Appointment.objects.exists()


def test_an_oauth_workspace_is_verified_with_the_apps_key(deliver, settings, workspace, jordan):
    from integrations import connections

    settings.CALENDLY_WEBHOOK_SIGNING_KEY = "whsec-oauth-app"
    connections.update_connection(
        workspace=workspace, provider="calendly", config={"auth": "oauth"}
    )

    ours = deliver(CREATED)
    apps = deliver(CREATED, key="whsec-oauth-app")

    assert (ours.status_code, apps.status_code) == (401, 200)
    assert Appointment.objects.count() == 1
