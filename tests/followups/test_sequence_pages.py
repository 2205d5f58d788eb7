"""The Sequences pages: workspace admins edit sequences and steps; everyone else is kept out."""

import pytest
from django.urls import reverse

from followups.models import Sequence
from tests.factories import MembershipFactory, WorkspaceFactory
from workspaces.models import AuditEvent, Membership

from .conftest import HOUR, MEETING, book

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def admin(client, workspace):
    client.force_login(MembershipFactory(workspace=workspace, role=Role.ADMIN).user)
    return client


@pytest.fixture
def reminders(workspace):
    return Sequence.objects.get(workspace=workspace, trigger="post_booking")


@pytest.fixture
def nudges(workspace):
    return Sequence.objects.get(workspace=workspace, trigger="no_response")


def url(name, sequence, *extra):
    return reverse(name, args=[sequence.workspace.public_id, sequence.pk, *extra])


def list_url(workspace):
    return reverse("sequence_list", args=[workspace.public_id])


def step_data(**overrides):
    data = {
        "channel": "sms",
        "amount": "2",
        "unit": "hours",
        "direction": "before",
        "subject": "",
        "body": "Hi {first_name}, see you at {meeting_clock}.",
    }
    return {**data, **overrides}


def steps_of(sequence):
    return [(s.position, s.delay_minutes, s.body) for s in sequence.steps.order_by("position")]


def test_admins_see_the_default_sequences(admin, workspace):
    html = admin.get(list_url(workspace)).content.decode()
    for name in ("No reply: nudges", "Meeting reminders", "No-show: win back", "Canceled: rebook"):
        assert name in html


@pytest.mark.parametrize("role", [Role.SETTER, Role.INBOX_MANAGER])
def test_setters_and_inbox_managers_get_a_403_everywhere(client, workspace, reminders, role):
    client.force_login(MembershipFactory(workspace=workspace, role=role).user)
    step = reminders.steps.first()
    gets = [list_url(workspace), reverse("sequence_create", args=[workspace.public_id])]
    gets += [url("sequence_detail", reminders), url("step_edit", reminders, step.pk)]
    for page in gets:
        assert client.get(page).status_code == 403, page
    posts = [url("step_create", reminders), url("step_delete", reminders, step.pk)]
    for page in posts:
        assert client.post(page, step_data()).status_code == 403, page
    assert reminders.steps.count() == 2


def test_an_admin_of_another_workspace_gets_a_404(client, reminders):
    client.force_login(MembershipFactory(workspace=WorkspaceFactory(), role=Role.ADMIN).user)
    assert client.get(url("sequence_detail", reminders)).status_code == 404
    assert client.get(list_url(reminders.workspace)).status_code == 404


def test_a_sequence_of_another_workspace_is_a_404_from_ones_own(admin, workspace):
    foreign = Sequence.objects.filter(workspace=WorkspaceFactory()).first()
    page = reverse("sequence_detail", args=[workspace.public_id, foreign.pk])
    assert admin.get(page).status_code == 404


def test_an_admin_creates_a_sequence_and_lands_on_it(admin, workspace):
    response = admin.post(
        reverse("sequence_create", args=[workspace.public_id]),
        {"name": "Webinar no-shows", "trigger": "no_show", "is_active": "on"},
        follow=True,
    )
    sequence = Sequence.objects.get(workspace=workspace, name="Webinar no-shows")
    assert response.redirect_chain[-1][0] == url("sequence_detail", sequence)
    assert "add its steps below" in response.content.decode()
    assert AuditEvent.objects.filter(action="followups.sequence_created").exists()


def test_a_taken_name_or_an_unknown_trigger_is_shown_on_its_field(admin, workspace):
    response = admin.post(
        reverse("sequence_create", args=[workspace.public_id]),
        {"name": "meeting  reminders", "trigger": "whenever"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Another sequence is already called" in html
    assert "Select a valid choice" in html
    assert Sequence.objects.filter(workspace=workspace).count() == 4


def test_turning_a_sequence_off_and_on_again(admin, nudges):
    admin.post(url("sequence_detail", nudges), {"name": nudges.name, "trigger": "no_response"})
    nudges.refresh_from_db()
    assert not nudges.is_active
    admin.post(
        url("sequence_detail", nudges),
        {"name": nudges.name, "trigger": "no_response", "is_active": "on"},
    )
    nudges.refresh_from_db()
    assert nudges.is_active


def test_the_trigger_cannot_change_to_one_its_steps_do_not_fit(admin, reminders):
    response = admin.post(
        url("sequence_detail", reminders), {"name": reminders.name, "trigger": "no_response"}
    )
    assert "goes out before its trigger" in response.content.decode()
    reminders.refresh_from_db()
    assert reminders.trigger == "post_booking"


def test_an_admin_adds_a_step_and_it_takes_its_place_in_time(admin, reminders):
    response = admin.post(url("step_create", reminders), step_data(), follow=True)

    assert "Step added" in response.content.decode()
    assert steps_of(reminders) == [
        (1, -24 * 60, reminders.steps.get(position=1).body),
        (2, -120, "Hi {first_name}, see you at {meeting_clock}."),
        (3, -60, reminders.steps.get(position=3).body),
    ]
    assert "2 hours before the meeting" in response.content.decode()
    assert AuditEvent.objects.filter(action="followups.step_added").count() == 1


def test_an_unknown_placeholder_is_refused_inline_and_nothing_is_saved(admin, reminders):
    response = admin.post(url("step_create", reminders), step_data(body="Hi {firstname}!"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Unknown placeholder “{firstname}”" in html
    assert reminders.steps.count() == 2


def test_a_step_before_its_trigger_is_only_for_meeting_reminders(admin, nudges):
    response = admin.post(url("step_create", nudges), step_data(body="Hi"))
    assert "Only reminders of a booked meeting can come before" in response.content.decode()
    assert nudges.steps.count() == 2


def test_an_email_step_needs_a_subject(admin, reminders):
    response = admin.post(url("step_create", reminders), step_data(channel="email"))
    assert "An e-mail needs a subject." in response.content.decode()


def test_an_admin_edits_a_step(admin, reminders):
    step = reminders.steps.get(position=2)
    page = admin.get(url("step_edit", reminders, step.pk)).content.decode()
    assert 'value="1"' in page and "hours" in page  # 1 hour before

    admin.post(url("step_edit", reminders, step.pk), step_data(amount="30", unit="minutes"))

    step.refresh_from_db()
    assert (step.delay_minutes, step.body) == (-30, "Hi {first_name}, see you at {meeting_clock}.")


def test_deleting_a_step_twice_is_harmless(admin, reminders):
    step = reminders.steps.get(position=1)
    admin.post(url("step_delete", reminders, step.pk))
    second = admin.post(url("step_delete", reminders, step.pk), follow=True)
    assert "already deleted" in second.content.decode()
    assert [s[0] for s in steps_of(reminders)] == [1]


def test_moving_a_step_trades_place_and_time_and_a_second_click_is_harmless(admin, reminders):
    first, second = reminders.steps.order_by("position")
    admin.post(url("step_move", reminders, second.pk), {"position": "1"})
    admin.post(url("step_move", reminders, second.pk), {"position": "1"})

    assert steps_of(reminders) == [(1, -24 * 60, second.body), (2, -60, first.body)]


def test_a_step_of_another_workspaces_sequence_is_a_404_and_stays(admin, reminders):
    foreign = Sequence.objects.get(workspace=WorkspaceFactory(), trigger="post_booking")
    step = foreign.steps.first()
    assert admin.post(url("step_delete", reminders, step.pk)).status_code == 404
    assert admin.post(url("step_move", reminders, step.pk), {"position": "2"}).status_code == 404
    assert admin.get(url("step_edit", reminders, step.pk)).status_code == 404
    assert foreign.steps.count() == 2 and foreign.steps.get(pk=step.pk).position == 1


@pytest.mark.parametrize("data", [{}, {"position": "up"}, {"position": "0"}])
def test_a_move_without_a_position_is_a_400(admin, reminders, data):
    step = reminders.steps.first()
    assert admin.post(url("step_move", reminders, step.pk), data).status_code == 400


def test_the_step_pages_list_the_placeholders_that_fit_the_sequence(admin, nudges, reminders):
    assert "{meeting_time}" not in admin.get(url("sequence_detail", nudges)).content.decode()
    assert "{meeting_time}" in admin.get(url("sequence_detail", reminders)).content.decode()


def test_a_sequence_without_steps_says_what_to_do(admin, workspace):
    sequence = Sequence.objects.create(workspace=workspace, name="Empty", trigger="rebook")
    html = admin.get(url("sequence_detail", sequence)).content.decode()
    assert "No steps yet: add the first one below" in html


def test_step_changes_reach_leads_already_in_the_sequence(clock, admin, reminders, lead):
    # (``clock`` first: a session opened before the clock jumps to 2030 would have expired.)
    book(lead)
    enrollment = reminders.enrollments.get(lead=lead)
    day_before, hour_before = reminders.steps.order_by("position")

    assert admin.post(url("step_delete", reminders, day_before.pk)).status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.next_due_at == MEETING - HOUR

    admin.post(url("step_edit", reminders, hour_before.pk), step_data(amount="3", unit="hours"))
    enrollment.refresh_from_db()
    assert enrollment.next_due_at == MEETING - 3 * HOUR
