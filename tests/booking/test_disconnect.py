"""Disconnecting the workspace's booking provider turns auto-booking off and says so, whichever
provider it is (every calendar of ``tests/booking/envs``), from the Integrations tab and from the
admin API: every reply would otherwise stop at the first gate, unseen."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from integrations.models import Connection
from integrations.providers import get_spec
from tests.factories import MembershipFactory
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, workspace, frozen_now):
    # Logged in on the calendar's frozen clock, so the session is not already expired there.
    client.force_login(MembershipFactory(workspace=workspace, role="admin").user)
    return client


@pytest.fixture
def api():
    _, key = APIKey.objects.create_key(name="onboarding")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def auto_book_changes(workspace):
    return AuditEvent.objects.filter(workspace=workspace, action="workspace.auto_book_changed")


def test_disconnecting_the_booking_provider_turns_auto_book_off_and_says_so(
    admin_client, workspace, booking_provider_env
):
    name = booking_provider_env.name
    url = reverse("integrations_disconnect", args=[workspace.public_id, name])

    page = admin_client.post(url, follow=True)

    said = " ".join(str(m) for m in page.context["messages"])
    workspace.refresh_from_db()
    assert workspace.auto_book_enabled is False
    assert (
        f"Auto-booking was turned off: {get_spec(name).label} was this workspace's booking "
        "provider." in said
    )
    assert auto_book_changes(workspace).count() == 1


def test_the_admin_api_disconnect_turns_auto_book_off_too(api, workspace, booking_provider_env):
    name = booking_provider_env.name
    path = f"/api/admin/workspaces/{workspace.public_id}/integrations/{name}"

    response = api.delete(path)

    workspace.refresh_from_db()
    assert response.status_code == 200
    assert workspace.auto_book_enabled is False
    assert not Connection.objects.filter(workspace=workspace, provider=name).exclude(secrets={})
    assert auto_book_changes(workspace).count() == 1


@pytest.mark.parametrize("booking_provider_env", ["fake"], indirect=True)
def test_disconnecting_another_provider_leaves_auto_book_on(
    admin_client, workspace, booking_provider_env
):
    url = reverse("integrations_disconnect", args=[workspace.public_id, "ghl"])

    page = admin_client.post(url, follow=True)

    workspace.refresh_from_db()
    assert workspace.auto_book_enabled is True
    assert "Auto-booking was turned off" not in " ".join(str(m) for m in page.context["messages"])
    assert not auto_book_changes(workspace).exists()
