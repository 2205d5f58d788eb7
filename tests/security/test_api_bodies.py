"""The APIs answer hostile bodies with a 400 (never a 500), and no stored value breaks a page."""

import uuid
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from booking.models import InboundMessage
from followups.models import Task
from tests.factories import LeadFactory, MembershipFactory
from workspaces.models import Membership

pytestmark = pytest.mark.django_db
NESTED = b'{"name": "Acme", "timezone": "UTC", "x": ' + b"[" * 990 + b"]" * 990 + b"}"


@pytest.fixture
def api():
    _, key = APIKey.objects.create_key(name="security")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def messages_url(lead):
    return f"/api/workspaces/{lead.workspace.public_id}/leads/{lead.pk}/messages"


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "1900-01-01T00:00:00Z"]
)
def test_a_reply_dated_out_of_range_is_a_400(api, lead, moment):
    response = api.post(
        messages_url(lead), {"channel": "sms", "body": "yes", "received_at": moment}, format="json"
    )

    assert response.status_code == 400
    assert "between 1970 and 2199" in str(response.json()["received_at"])
    assert not InboundMessage.objects.exists()


def test_appointment_filters_are_bounded_too(api, workspace):
    url = f"/api/workspaces/{workspace.public_id}/appointments"
    assert api.get(url, {"from": "0001-01-01T00:00:00Z"}).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/admin/workspaces",
        "/api/workspaces/{ws}/leads",
        "/api/workspaces/{ws}/leads/{lead}/messages",
    ],
)
def test_deeply_nested_json_is_a_400_on_every_api(api, lead, url):
    url = url.format(ws=lead.workspace.public_id, lead=lead.pk)

    response = api.post(url, data=NESTED, content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper than 64 levels" in response.json()["detail"]


def test_a_lone_surrogate_is_a_400(api, lead):
    body = b'{"channel": "sms", "body": "yes \\ud800"}'

    response = api.post(messages_url(lead), data=body, content_type="application/json")

    assert response.status_code == 400
    assert "unpaired surrogate" in response.json()["detail"]


def test_a_stored_time_at_the_calendars_edge_never_breaks_the_lead_page(client, workspace):
    lead = LeadFactory(workspace=workspace, timezone="America/New_York")
    for moment in (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)):
        InboundMessage.objects.create(
            workspace=workspace, lead=lead, channel="sms", body="hi", received_at=moment
        )
    member = MembershipFactory(workspace=workspace, role=Membership.Role.SETTER).user
    client.force_login(member)

    page = client.get(reverse("lead_detail", args=[workspace.public_id, lead.pk]))

    assert page.status_code == 200
    assert "hi" in page.text


def test_a_form_date_out_of_range_is_refused(client, workspace):
    lead = LeadFactory(workspace=workspace)
    member = MembershipFactory(workspace=workspace, role=Membership.Role.SETTER).user
    client.force_login(member)

    page = client.post(
        reverse("lead_add_task", args=[workspace.public_id, lead.pk]),
        {"title": "Call back", "due_at": "0001-01-01T00:00", "nonce": str(uuid.uuid4())},
        follow=True,
    )

    assert page.status_code == 200
    assert "The task was not added" in page.text
    assert not Task.objects.filter(lead=lead).exists()
