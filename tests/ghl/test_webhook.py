"""POST /webhooks/ghl/<workspace>/: authenticate, store once, answer fast; never a 5xx."""

import base64
import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import connection as db
from django.urls import reverse

from booking.matching import remember_identity
from booking.models import Appointment, InboundMessage
from ghl import connection
from integrations.models import Connection, WebhookDelivery
from tests.factories import LeadFactory
from tests.ghl.conftest import CONTACT
from tests.ghl.helpers import fixture_bytes, load_fixture

pytestmark = pytest.mark.django_db


class Inbox:
    """What the webhook left behind: stored rows, failed rows, refusals, the workflow secret."""

    def __init__(self, workspace):
        self.workspace = workspace

    @property
    def rows(self):
        return list(WebhookDelivery.objects.exclude(state="failed").order_by("id"))

    @property
    def failed(self):
        return [
            (row.last_error, row.raw_body)
            for row in WebhookDelivery.objects.filter(state="failed").order_by("id")
        ]

    @property
    def refused(self):
        conn = Connection.objects.get(workspace=self.workspace, provider="ghl")
        return [conn.last_rejected_reason] * conn.rejected_count

    def new_secret(self):
        return connection.new_workflow_secret(workspace=self.workspace)


@pytest.fixture
def inbox(workspace, stored_connection):
    return Inbox(workspace)


@pytest.fixture(autouse=True)
def _process_on_commit(django_capture_on_commit_callbacks):
    """Each request's on-commit work (the inbox enqueues processing; Celery is eager) runs as
    the request ends, as it would after a real commit."""
    global _capture
    _capture = django_capture_on_commit_callbacks


_capture = None


@pytest.fixture
def private_key(settings):
    key = Ed25519PrivateKey.generate()
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    settings.GHL_WEBHOOK_PUBLIC_KEY = base64.b64encode(der).decode()
    return key


@pytest.fixture
def known_lead(workspace):
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com")
    remember_identity(lead=lead, provider="ghl", external_id=CONTACT)
    return lead


@pytest.fixture
def url(workspace):
    return reverse("ghl_webhook", kwargs={"workspace_id": workspace.public_id})


def sign(key, body: bytes) -> str:
    return base64.b64encode(key.sign(body)).decode()


def post(client, url, body: bytes, **headers):
    with _capture(execute=True):
        return client.post(url, data=body, content_type="application/json", headers=headers)


def signed(client, url, key, body: bytes):
    return post(client, url, body, **{"X-GHL-Signature": sign(key, body)})


def test_a_signed_delivery_is_stored_and_books(client, url, private_key, inbox, known_lead):
    response = signed(client, url, private_key, fixture_bytes("appointment_webhook.json"))
    assert response.status_code == 200
    assert len(inbox.rows) == 1 and inbox.rows[0].state == "processed"
    assert Appointment.objects.get().status == "booked"


def test_a_replayed_delivery_is_one_row_and_one_appointment(
    client, url, private_key, inbox, known_lead
):
    body = fixture_bytes("appointment_webhook.json")
    assert signed(client, url, private_key, body).status_code == 200
    assert signed(client, url, private_key, body).status_code == 200
    assert len(inbox.rows) == 1
    assert Appointment.objects.count() == 1


def test_a_bad_signature_is_refused_and_not_stored(client, url, private_key, inbox, workspace):
    body = fixture_bytes("appointment_webhook.json")
    other = Ed25519PrivateKey.generate()
    response = post(client, url, body, **{"X-GHL-Signature": sign(other, body)})
    assert response.status_code == 401
    assert inbox.rows == [] and inbox.refused == ["signature does not match the body"]


def test_a_body_changed_after_signing_is_refused(client, url, private_key, inbox):
    body = fixture_bytes("appointment_webhook.json")
    signature = sign(private_key, body)
    tampered = body.replace(b"confirmed", b"cancelled")
    assert post(client, url, tampered, **{"X-GHL-Signature": signature}).status_code == 401
    assert inbox.rows == []


@pytest.mark.parametrize("headers", [{}, {"X-GHL-Signature": "N/A"}, {"X-GHL-Signature": ""}])
def test_an_unsigned_delivery_is_refused(client, url, private_key, inbox, headers):
    response = post(client, url, fixture_bytes("appointment_webhook.json"), **headers)
    assert response.status_code == 401
    assert inbox.rows == [] and len(inbox.refused) == 1


def test_the_deprecated_rsa_header_alone_is_refused(client, url, private_key, inbox):
    body = fixture_bytes("appointment_webhook.json")
    assert post(client, url, body, **{"X-WH-Signature": "c2lnbmF0dXJl"}).status_code == 401


def test_a_workflow_delivery_with_the_right_secret_is_stored(client, url, inbox, known_lead):
    secret = inbox.new_secret()
    body = fixture_bytes("workflow_inbound_message_webhook.json")
    response = post(client, url, body, **{"X-Webhook-Secret": secret})
    assert response.status_code == 200
    assert inbox.rows[0].event == "workflow.inbound_message"
    assert InboundMessage.objects.get().body == "Tuesday at 10 works for me"


def test_a_workflow_delivery_with_a_wrong_secret_is_refused(client, url, inbox):
    inbox.new_secret()
    body = fixture_bytes("workflow_inbound_message_webhook.json")
    assert post(client, url, body, **{"X-Webhook-Secret": "guess"}).status_code == 401
    assert inbox.rows == [] and inbox.refused == ["workflow secret does not match"]


def test_no_secret_configured_accepts_no_workflow_delivery(client, url, inbox):
    body = fixture_bytes("workflow_inbound_message_webhook.json")
    assert post(client, url, body, **{"X-Webhook-Secret": ""}).status_code == 401


def test_the_workflow_secret_is_not_kept_with_the_delivery(client, url, inbox, known_lead):
    secret = inbox.new_secret()
    body = fixture_bytes("workflow_inbound_message_webhook.json")
    post(client, url, body, **{"X-Webhook-Secret": secret})
    assert secret not in json.dumps(inbox.rows[0].headers)


def test_a_replayed_workflow_message_is_one_row(client, url, inbox, known_lead):
    secret = inbox.new_secret()
    body = fixture_bytes("workflow_inbound_message_webhook.json")
    post(client, url, body, **{"X-Webhook-Secret": secret})
    post(client, url, body, **{"X-Webhook-Secret": secret})
    assert len(inbox.rows) == 1 and InboundMessage.objects.count() == 1


def test_malformed_json_after_authentication_is_400_and_recorded(client, url, private_key, inbox):
    body = b'{"type": "AppointmentCreate", '
    response = signed(client, url, private_key, body)
    assert response.status_code == 400
    assert inbox.rows == [] and inbox.failed == [("body is not JSON", body)]


def test_a_well_formed_body_missing_what_we_need_is_400_and_recorded(
    client, url, private_key, inbox
):
    body = json.dumps({"type": "AppointmentCreate", "locationId": "x"}).encode()
    assert signed(client, url, private_key, body).status_code == 400
    assert len(inbox.failed) == 1


def test_an_unknown_workspace_is_404(client, private_key, inbox):
    url = reverse("ghl_webhook", kwargs={"workspace_id": uuid.uuid4()})
    body = fixture_bytes("appointment_webhook.json")
    assert signed(client, url, private_key, body).status_code == 404


def test_a_database_that_cannot_store_answers_429_so_ghl_retries(client, url, private_key, inbox):
    with db.cursor() as cursor:  # a real database failure, as a full disk raises it
        cursor.execute(
            "CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_insert BEFORE INSERT ON integrations_webhookdelivery "
            "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
        )

    response = signed(client, url, private_key, fixture_bytes("appointment_webhook.json"))

    assert response.status_code == 429  # GHL retries only a 429
    assert response["Retry-After"]
    assert not WebhookDelivery.objects.exists()


def test_a_body_over_the_limit_is_refused(client, url, private_key, inbox):
    body = b'{"pad": "' + b"x" * (300 * 1024) + b'"}'
    assert signed(client, url, private_key, body).status_code == 413
    assert inbox.rows == []


def test_get_is_not_allowed(client, url):
    assert client.get(url).status_code == 405


def test_the_endpoint_needs_no_csrf_token(url, private_key, inbox, known_lead):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = signed(strict, url, private_key, fixture_bytes("appointment_webhook.json"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("fixture", "status"),
    [
        ("appointment_cancelled_webhook.json", "canceled"),
        ("appointment_delete_webhook.json", "canceled"),
    ],
)
def test_cancel_and_delete_deliveries(client, url, private_key, inbox, known_lead, fixture, status):
    signed(client, url, private_key, fixture_bytes("appointment_webhook.json"))
    signed(client, url, private_key, fixture_bytes(fixture))
    assert Appointment.objects.get().status == status


def test_inbound_message_delivery_creates_the_lead(client, url, private_key, inbox, api):
    api.get(f"/contacts/{CONTACT}").respond(json=load_fixture("contact_duplicate_response.json"))
    signed(client, url, private_key, fixture_bytes("inbound_message_webhook.json"))
    message = InboundMessage.objects.get()
    assert message.lead.email == "jordan.lee@example.com"
