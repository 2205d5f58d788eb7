import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AppointmentFactory,
    LeadFactory,
    MembershipFactory,
    UserFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


def login(client, role="setter", workspace=None):
    membership = MembershipFactory(role=role, workspace=workspace or WorkspaceFactory())
    client.force_login(membership.user)
    return membership.workspace


def test_login_with_email_and_password(client):
    user = UserFactory(email="Casey@Agency.example", username="casey@agency.example")
    response = client.post(
        reverse("login"), {"username": "casey@agency.example", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == user


def test_wrong_password_shows_an_error(client):
    UserFactory(email="casey@agency.example")
    response = client.post(reverse("login"), {"username": "casey@agency.example", "password": "x"})
    assert response.status_code == 200
    assert "correct" in response.content.decode().lower()  # "enter a correct e-mail and password"


def test_pages_need_login(client):
    workspace = WorkspaceFactory()
    response = client.get(reverse("appointment_list", args=[workspace.public_id]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_setter_of_a_gets_404_on_b(client):
    login(client, "setter")
    other = WorkspaceFactory()
    lead = LeadFactory(workspace=other)
    for url in (
        reverse("appointment_list", args=[other.public_id]),
        reverse("lead_list", args=[other.public_id]),
        reverse("lead_detail", args=[other.public_id, lead.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_lead_of_another_workspace_is_404_even_for_a_member(client):
    workspace = login(client, "setter")
    stranger = LeadFactory()
    url = reverse("lead_detail", args=[workspace.public_id, stranger.pk])
    assert client.get(url).status_code == 404


def test_deactivated_workspace_is_404_for_its_members(client):
    workspace = login(client, "admin")
    workspace.is_active = False
    workspace.save()
    assert client.get(reverse("appointment_list", args=[workspace.public_id])).status_code == 404


def test_home_lists_only_my_workspaces(client):
    mine = login(client, "setter")
    user = mine.memberships.get().user
    second = MembershipFactory(user=user, role="inbox_manager").workspace
    WorkspaceFactory(name="Not mine")
    body = client.get(reverse("home")).content.decode()
    assert mine.name in body and second.name in body
    assert "Not mine" not in body


def test_appointments_page_shows_times_in_workspace_zone(client):
    workspace = login(client, "inbox_manager")
    lead = LeadFactory(workspace=workspace, first_name="Robin", last_name="Ames")
    start = dt.datetime(2030, 12, 1, 15, 0, tzinfo=dt.UTC)
    AppointmentFactory(lead=lead, start_at=start)
    response = client.get(reverse("appointment_list", args=[workspace.public_id]))
    body = response.content.decode()
    assert "Robin Ames" in body
    assert "10:00 AM EST" in body  # 15:00 UTC in America/New_York


def test_past_and_upcoming_tabs_and_filters(client):
    workspace = login(client)
    lead = LeadFactory(workspace=workspace)
    AppointmentFactory(lead=lead, start_at=timezone.now() + dt.timedelta(days=1), status="booked")
    AppointmentFactory(lead=lead, start_at=timezone.now() - dt.timedelta(days=1), status="no_show")
    url = reverse("appointment_list", args=[workspace.public_id])
    assert len(client.get(url).context["page"].object_list) == 1
    past = client.get(url, {"when": "past"}).context["page"].object_list
    assert [a.status for a in past] == ["no_show"]
    assert len(client.get(url, {"status": "canceled"}).context["page"].object_list) == 0
    assert "No upcoming appointments match" not in client.get(url).content.decode()


def test_empty_state_says_what_happens_next(client):
    workspace = login(client)
    body = client.get(reverse("appointment_list", args=[workspace.public_id])).content.decode()
    assert "No upcoming appointments yet" in body


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_appointments_page_costs_the_same_queries_for_1_or_100_rows(client):
    workspace = login(client)
    url = reverse("appointment_list", args=[workspace.public_id]) + "?page=1"
    AppointmentFactory(lead=LeadFactory(workspace=workspace))
    one = _count_queries(client, url)
    for _ in range(99):
        AppointmentFactory(lead=LeadFactory(workspace=workspace))
    hundred = _count_queries(client, url)
    assert one == hundred


def test_lead_detail_shows_history(client):
    workspace = login(client)
    lead = LeadFactory(workspace=workspace)
    AppointmentFactory(lead=lead, status="canceled", cancel_reason="Double-booked")
    body = client.get(reverse("lead_detail", args=[workspace.public_id, lead.pk])).content.decode()
    assert "Double-booked" in body
    assert "Canceled" in body


def test_only_staff_reach_django_admin(client):
    login(client, "admin")
    assert client.get("/admin/").status_code == 302  # a workspace admin is not staff
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/booking/appointment/").status_code == 200
    assert client.get("/admin/workspaces/lead/?q=lee").status_code == 200
