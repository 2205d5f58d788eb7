import datetime as dt
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from booking.models import InboundMessage
from tests.factories import AppointmentFactory, LeadFactory, MembershipFactory, WorkspaceFactory
from workspaces.models import Lead, Membership

from .conftest import MON_10_EST, TUE_11_EST

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    _, key = APIKey.objects.create_key(name="agency backend")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def url(workspace, tail):
    return f"/api/workspaces/{workspace.public_id}/{tail}"


# --- leads -----------------------------------------------------------------------------------


def test_create_then_update_a_lead_by_email(api, workspace):
    first = api.post(
        url(workspace, "leads"),
        {"email": "Casey@Example.com", "first_name": "Casey", "timezone": "America/Denver"},
        format="json",
    )
    again = api.post(
        url(workspace, "leads"),
        {"email": "casey@example.com", "last_name": "Closer", "phone": "(312) 555-0142"},
        format="json",
    )
    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    body = again.json()
    assert body["id"] == first.json()["id"]
    assert (body["email"], body["first_name"], body["last_name"]) == (
        "casey@example.com",
        "Casey",
        "Closer",
    )
    assert body["phone"] == "+13125550142" and body["timezone"] == "America/Denver"
    assert Lead.objects.filter(workspace=workspace).count() == 1


def test_a_lead_is_found_by_phone_when_there_is_no_email_match(api, workspace):
    lead = LeadFactory(workspace=workspace, email="", phone="+13125550142")
    response = api.post(
        url(workspace, "leads"), {"phone": "312-555-0142", "first_name": "Sam"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["id"] == lead.pk


def test_bad_lead_input_is_a_400_per_field(api, workspace):
    response = api.post(
        url(workspace, "leads"), {"first_name": "Nobody", "timezone": "Mars/Base"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"timezone"}
    response = api.post(url(workspace, "leads"), {"first_name": "Nobody"}, format="json")
    assert set(response.json()) == {"email", "phone"}
    response = api.post(url(workspace, "leads"), {"email": "not-an-address"}, format="json")
    assert response.status_code == 400 and "email" in response.json()


def test_a_phone_that_belongs_to_another_lead_is_a_400(api, workspace):
    LeadFactory(workspace=workspace, email="a@example.com", phone="+13125550142")
    LeadFactory(workspace=workspace, email="b@example.com", phone="")
    response = api.post(
        url(workspace, "leads"),
        {"email": "b@example.com", "phone": "+13125550142"},
        format="json",
    )
    assert response.status_code == 400
    assert "phone" in response.json()


def test_malformed_json_is_a_400(api, workspace):
    response = api.post(url(workspace, "leads"), "{", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_lead_make_one_lead():
    workspace = WorkspaceFactory()
    _, key = APIKey.objects.create_key(name="race")
    statuses = []
    barrier = threading.Barrier(8)

    def create():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        barrier.wait()
        try:
            response = client.post(
                url(workspace, "leads"), {"email": "race@example.com"}, format="json"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert Lead.objects.filter(workspace=workspace).count() == 1


# --- access ----------------------------------------------------------------------------------


def test_no_credentials_is_a_401(workspace):
    response = APIClient().post(url(workspace, "leads"), {"email": "x@example.com"}, format="json")
    assert response.status_code == 401


def test_a_member_may_use_the_api_with_a_session(workspace):
    member = MembershipFactory(workspace=workspace, role=Membership.Role.INBOX_MANAGER).user
    client = APIClient()
    client.force_login(member)
    response = client.post(url(workspace, "leads"), {"email": "x@example.com"}, format="json")
    assert response.status_code == 201


def test_a_non_member_gets_a_404(workspace):
    stranger = MembershipFactory(role=Membership.Role.ADMIN).user  # admin elsewhere
    client = APIClient()
    client.force_login(stranger)
    assert client.get(url(workspace, "appointments")).status_code == 404
    response = client.post(url(workspace, "leads"), {"email": "x@example.com"}, format="json")
    assert response.status_code == 404


def test_an_unknown_workspace_is_a_404(api):
    assert (
        api.get("/api/workspaces/00000000-0000-0000-0000-000000000000/appointments").status_code
        == 404
    )


# --- messages --------------------------------------------------------------------------------


def test_a_reply_with_a_provider_id_is_accepted_once(api, lead):
    body = {
        "channel": "sms",
        "body": "2 works",
        "provider_message_id": "tw-123",
    }
    first = api.post(url(lead.workspace, f"leads/{lead.pk}/messages"), body, format="json")
    again = api.post(url(lead.workspace, f"leads/{lead.pk}/messages"), body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert InboundMessage.objects.filter(lead=lead).count() == 1


def test_a_reply_needs_a_channel_and_a_body(api, lead):
    response = api.post(url(lead.workspace, f"leads/{lead.pk}/messages"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"channel", "body"}


def test_a_reply_to_a_lead_of_another_workspace_is_a_404(api, workspace):
    other = LeadFactory()
    response = api.post(
        url(workspace, f"leads/{other.pk}/messages"),
        {"channel": "sms", "body": "hi"},
        format="json",
    )
    assert response.status_code == 404


# --- offers ----------------------------------------------------------------------------------


def test_make_an_offer(api, lead, booking_provider_env, frozen_now):
    booking_provider_env.make_free(MON_10_EST)
    booking_provider_env.make_free(TUE_11_EST)
    response = api.post(url(lead.workspace, f"leads/{lead.pk}/offers"), {}, format="json")
    assert response.status_code == 201, response.json()
    offer = response.json()
    assert offer["state"] == "open" and offer["timezone"] == "America/Chicago"
    assert [s["label"] for s in offer["slots"]] == [
        "Mon Dec 2, 9:00 AM CST",
        "Tue Dec 3, 10:00 AM CST",
    ]
    assert "1) Mon Dec 2, 9:00 AM CST" in offer["text"]


def test_offer_refusals_are_409_with_a_reason(api, lead, booking_provider_env, frozen_now):
    response = api.post(url(lead.workspace, f"leads/{lead.pk}/offers"), {}, format="json")
    assert response.status_code == 409
    assert "no free time" in response.json()["detail"]
    lead.status = Lead.Status.OPTED_OUT
    lead.save()
    response = api.post(url(lead.workspace, f"leads/{lead.pk}/offers"), {}, format="json")
    assert response.status_code == 409 and "opted out" in response.json()["detail"]
    booking_provider_env.disconnect()
    lead.status = Lead.Status.QUALIFIED
    lead.save()
    response = api.post(url(lead.workspace, f"leads/{lead.pk}/offers"), {}, format="json")
    assert response.status_code == 409 and "not connected" in response.json()["detail"]


def test_offer_count_is_validated(api, lead):
    response = api.post(url(lead.workspace, f"leads/{lead.pk}/offers"), {"count": 0}, format="json")
    assert response.status_code == 400 and "count" in response.json()


def test_inbox_managers_cannot_make_offers(lead):
    manager = MembershipFactory(workspace=lead.workspace, role=Membership.Role.INBOX_MANAGER).user
    client = APIClient()
    client.force_login(manager)
    response = client.post(url(lead.workspace, f"leads/{lead.pk}/offers"), {}, format="json")
    assert response.status_code == 403


# --- appointments ----------------------------------------------------------------------------


def test_appointments_are_filtered_and_paginated(api, workspace):
    lead = LeadFactory(workspace=workspace)
    day = dt.datetime(2030, 12, 2, 15, tzinfo=dt.UTC)
    for offset in range(3):
        AppointmentFactory(lead=lead, start_at=day + dt.timedelta(days=offset))
    AppointmentFactory(lead=lead, start_at=day, status="canceled", provider="calendly")
    AppointmentFactory(start_at=day)  # another workspace

    response = api.get(url(workspace, "appointments"), {"status": "booked", "page_size": 2})
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert body["results"][0]["lead_id"] == lead.pk

    window = {"from": "2030-12-03T00:00:00Z", "to": "2030-12-04"}
    assert api.get(url(workspace, "appointments"), window).json()["count"] == 1
    assert api.get(url(workspace, "appointments"), {"provider": "calendly"}).json()["count"] == 1


def test_bad_appointment_filters_are_a_400(api, workspace):
    response = api.get(url(workspace, "appointments"), {"status": "nope", "from": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "from"}
    response = api.get(url(workspace, "appointments"), {"from": "2030-12-04", "to": "2030-12-01"})
    assert response.status_code == 400 and "to" in response.json()
