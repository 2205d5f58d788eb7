"""The Tasks page: every member of the workspace, nobody else; marking done is harmless twice."""

import pytest
from django.urls import reverse

from followups.models import Task
from tests.factories import LeadFactory, MembershipFactory, TaskFactory, WorkspaceFactory
from workspaces.models import Membership

pytestmark = pytest.mark.django_db
Role = Membership.Role


def tasks_url(workspace, query=""):
    return reverse("task_list", args=[workspace.public_id]) + query


def state_url(task):
    return reverse("task_state", args=[task.workspace.public_id, task.pk])


@pytest.fixture
def as_role(client, workspace):
    def login(role, ws=None):
        client.force_login(MembershipFactory(workspace=ws or workspace, role=role).user)
        return client

    return login


@pytest.mark.parametrize("role", [Role.SETTER, Role.INBOX_MANAGER, Role.ADMIN])
def test_members_see_the_open_tasks_with_the_lead_linked(as_role, lead, role):
    task = TaskFactory(lead=lead, title="Meeting canceled — rebook Jordan", detail="Offer times.")
    html = as_role(role).get(tasks_url(lead.workspace)).content.decode()
    assert task.title in html and "Offer times." in html
    assert reverse("lead_detail", args=[lead.workspace.public_id, lead.pk]) in html


def test_a_setter_of_another_workspace_gets_a_404(as_role, lead):
    task = TaskFactory(lead=lead)
    client = as_role(Role.SETTER, ws=WorkspaceFactory())
    assert client.get(tasks_url(lead.workspace)).status_code == 404
    assert client.post(state_url(task), {"state": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.is_open


def test_a_task_of_another_workspace_is_a_404_even_from_ones_own(as_role, workspace):
    other = TaskFactory(lead=LeadFactory(workspace=WorkspaceFactory()))
    client = as_role(Role.SETTER)
    url = reverse("task_state", args=[workspace.public_id, other.pk])
    assert client.post(url, {"state": "done"}).status_code == 404


def test_an_inbox_manager_completes_a_task_and_a_second_click_is_harmless(as_role, lead):
    task = TaskFactory(lead=lead, title="Call Jordan back")
    client = as_role(Role.INBOX_MANAGER)

    first = client.post(state_url(task), {"state": "done"}, follow=True)
    task.refresh_from_db()
    done_at = task.done_at
    second = client.post(state_url(task), {"state": "done"}, follow=True)

    assert "“Call Jordan back” is done." in first.content.decode()
    assert "was already done" in second.content.decode() and second.status_code == 200
    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.done_at == done_at
    assert task.done_by.memberships.get().role == Role.INBOX_MANAGER
    assert "Call Jordan back" not in client.get(tasks_url(lead.workspace)).content.decode()


def test_done_tasks_are_listed_on_their_own_tab_with_who_did_them(as_role, lead):
    client = as_role(Role.SETTER)
    task = TaskFactory(lead=lead, title="Send the deck")
    client.post(state_url(task), {"state": "done"})

    html = client.get(tasks_url(lead.workspace, "?show=done")).content.decode()

    assert "Send the deck" in html and task.workspace.memberships.get().user.email in html
    assert "Reopen" in html


def test_a_done_task_can_be_reopened(as_role, lead):
    client = as_role(Role.SETTER)
    task = TaskFactory(lead=lead, state="done")
    client.post(state_url(task), {"state": "open", "show": "done"})
    task.refresh_from_db()
    assert task.is_open and task.done_at is None


@pytest.mark.parametrize("data", [{}, {"state": "toggle"}, {"state": ""}])
def test_a_state_that_is_not_done_or_open_is_a_400(as_role, lead, data):
    task = TaskFactory(lead=lead)
    response = as_role(Role.SETTER).post(state_url(task), data)
    assert response.status_code == 400 and b"done or open" in response.content


def test_only_a_post_changes_a_task(as_role, lead):
    task = TaskFactory(lead=lead)
    assert as_role(Role.SETTER).get(state_url(task)).status_code == 405


def test_the_empty_states_say_what_comes_here(as_role, workspace):
    client = as_role(Role.SETTER)
    assert "nothing is waiting for you" in client.get(tasks_url(workspace)).content.decode()
    done = client.get(tasks_url(workspace, "?show=done")).content.decode()
    assert "Tasks you mark done are listed here" in done


def test_filtering_by_kind_shows_only_that_kind(as_role, lead):
    TaskFactory(lead=lead, kind="rebook", title="Rebook this one")
    TaskFactory(lead=lead, kind="no_show", title="Missed meeting")
    html = as_role(Role.SETTER).get(tasks_url(lead.workspace, "?kind=rebook")).content.decode()
    assert "Rebook this one" in html and "Missed meeting" not in html


def test_odd_query_strings_still_show_the_page(as_role, workspace):
    client = as_role(Role.SETTER)
    for query in ("?kind=bogus", "?page=999", "?page=abc", "?show=<script>"):
        assert client.get(tasks_url(workspace, query)).status_code == 200


def test_an_anonymous_visitor_is_sent_to_log_in(client, workspace):
    response = client.get(tasks_url(workspace))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_tasks_link_is_in_every_members_menu(as_role, workspace):
    html = as_role(Role.INBOX_MANAGER).get(tasks_url(workspace)).content.decode()
    assert f'href="{tasks_url(workspace)}"' in html
    assert reverse("sequence_list", args=[workspace.public_id]) not in html
