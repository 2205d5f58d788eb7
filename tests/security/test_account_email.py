"""Invitations and password resets go out through the outbox: a refusing mail server never
fails the request, the reason is kept, and a later provisioning call sends again."""

import copy
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, WorkspaceFactory
from workspaces import tasks
from workspaces.models import Membership, OutboundEmail, Workspace

pytestmark = pytest.mark.django_db
WORKSPACES = "/api/admin/workspaces"


def patch(admin_api, workspace, **data):
    return admin_api.patch(f"{WORKSPACES}/{workspace.public_id}", data, format="json")


def test_a_refusing_mail_server_never_fails_the_request_and_the_reason_is_kept(
    admin_api, mailbox, django_capture_on_commit_callbacks
):
    workspace = WorkspaceFactory(name="Acme Dental")
    mailbox.rcpt_answer = "550 5.1.1 Mailbox unavailable"

    with django_capture_on_commit_callbacks(execute=True):
        response = patch(admin_api, workspace, setters=["sam@acme.example", "kim@acme.example"])

    assert response.status_code == 200
    assert response.json()["members"]["setters"] == ["kim@acme.example", "sam@acme.example"]
    rows = OutboundEmail.objects.order_by("to")
    assert [(r.to, r.state, r.last_error) for r in rows] == [
        ("kim@acme.example", "failed", "550 5.1.1 Mailbox unavailable"),
        ("sam@acme.example", "failed", "550 5.1.1 Mailbox unavailable"),
    ]
    assert mailbox.received == []


def test_a_later_provisioning_call_sends_the_invitation_that_never_went(
    admin_api, mailbox, django_capture_on_commit_callbacks
):
    workspace = WorkspaceFactory(name="Acme Dental")
    mailbox.rcpt_answer = "550 5.1.1 Mailbox unavailable"
    with django_capture_on_commit_callbacks(execute=True):
        patch(admin_api, workspace, setters=["sam@acme.example"])

    mailbox.rcpt_answer = "250 OK"
    with django_capture_on_commit_callbacks(execute=True):
        patch(admin_api, workspace, setters=["sam@acme.example"])
    with django_capture_on_commit_callbacks(execute=True):
        patch(admin_api, workspace, setters=["sam@acme.example"])  # delivered: not again

    assert [to for to, _ in mailbox.received] == [["sam@acme.example"]]
    assert "/reset/" in mailbox.received[0][1]
    assert list(OutboundEmail.objects.order_by("id").values_list("state", flat=True)) == [
        "failed",
        "sent",
    ]


def test_a_temporary_refusal_is_retried_with_back_off(
    admin_api, mailbox, django_capture_on_commit_callbacks
):
    workspace = WorkspaceFactory()
    mailbox.rcpt_answer = "451 4.3.0 Try again later"
    with django_capture_on_commit_callbacks(execute=True):
        patch(admin_api, workspace, admins=["ana@acme.example"])
    row = OutboundEmail.objects.get()
    assert (row.state, row.attempts, row.last_error) == ("queued", 1, "451 4.3.0 Try again later")
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)

    assert tasks.send_due_emails() == 0  # not due yet
    mailbox.rcpt_answer = "250 OK"
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert tasks.send_due_emails() == 1

    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)
    assert [to for to, _ in mailbox.received] == [["ana@acme.example"]]


def test_control_characters_in_a_name_are_refused_at_the_edge(admin_api):
    response = admin_api.post(
        WORKSPACES,
        {"name": "Acme\nBcc: victim@example.com", "timezone": "UTC", "admins": ["a@acme.example"]},
        format="json",
    )

    assert response.status_code == 400
    assert "Control characters" in str(response.json()["name"])
    assert not Workspace.objects.exists()


def test_a_name_stored_before_the_rule_still_makes_a_one_line_subject(
    admin_api, mailbox, django_capture_on_commit_callbacks
):
    workspace = WorkspaceFactory()
    Workspace.objects.filter(pk=workspace.pk).update(name="Acme\r\nDental")

    with django_capture_on_commit_callbacks(execute=True):
        patch(admin_api, workspace, admins=["ana@acme.example"])

    assert OutboundEmail.objects.get().state == "sent"
    assert "Subject: You're invited to Acme Dental on Setterdesk" in mailbox.received[0][1]


def test_reset_e_mails_are_limited_per_address(client, mailbox, django_capture_on_commit_callbacks):
    UserFactory(email="owner@bigcorp.io", username="owner@bigcorp.io")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.post(reverse("password_reset"), {"email": "owner@bigcorp.io"}).status_code
            for _ in range(10)
        ]

    assert answers == [302] * 10  # the page says the same every time
    assert len(mailbox.received) == 3
    assert OutboundEmail.objects.count() == 3


def test_invitations_are_limited_per_address(
    admin_api, mailbox, django_capture_on_commit_callbacks
):
    mailbox.rcpt_answer = "550 5.1.1 Mailbox unavailable"
    for n in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_api.post(
                WORKSPACES,
                {"name": f"Client {n}", "timezone": "UTC", "admins": ["sam@acme.example"]},
                format="json",
            )
        assert response.status_code == 201

    assert OutboundEmail.objects.filter(to="sam@acme.example").count() == 3
    assert Membership.objects.filter(user__email="sam@acme.example").count() == 6


def test_the_outbox_is_visible_in_django_admin(client, mailbox, django_capture_on_commit_callbacks):
    user = get_user_model().objects.create_superuser("root@desk.example", "root@desk.example", "x")
    UserFactory(email="kim@acme.example", username="kim@acme.example")
    mailbox.rcpt_answer = "550 5.1.1 Mailbox unavailable"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "kim@acme.example"})
    client.force_login(user)

    page = client.get(reverse("admin:workspaces_outboundemail_changelist"))

    assert page.status_code == 200
    assert "kim@acme.example" in page.text and "550 5.1.1 Mailbox unavailable" in page.text


def broken_invitation_template(settings):
    """The invitation template as a bad deploy might leave it: a tag that does not parse."""
    engine = copy.deepcopy(settings.TEMPLATES[0])
    engine["APP_DIRS"] = False
    engine["OPTIONS"]["loaders"] = [
        ("django.template.loaders.locmem.Loader", {"workspaces/invitation_email.txt": "{% if %}"}),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = [engine]


def test_an_e_mail_that_cannot_be_rendered_is_failed_with_the_reason(
    admin_api, mailbox, settings, django_capture_on_commit_callbacks
):
    broken_invitation_template(settings)
    workspace = WorkspaceFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = patch(admin_api, workspace, admins=["ana@acme.example"])

    assert response.status_code == 200
    row = OutboundEmail.objects.get()
    assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 1, None)
    assert row.last_error.startswith("Could not render the e-mail (TemplateSyntaxError: ")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert tasks.send_due_emails() == 0  # not picked up again and again
    assert mailbox.received == []


def test_a_link_that_cannot_be_built_fails_the_row_without_storing_the_token(
    admin_api, mailbox, settings, django_capture_on_commit_callbacks
):
    workspace = WorkspaceFactory()
    with django_capture_on_commit_callbacks(execute=False):
        patch(admin_api, workspace, admins=["ana@acme.example"])
    settings.ROOT_URLCONF = "booking.urls"  # no password_reset_confirm to reverse

    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert tasks.send_due_emails() == 1

    row = OutboundEmail.objects.get()
    assert (row.state, row.last_error) == ("failed", "Could not render the e-mail (NoReverseMatch)")
    assert mailbox.received == []
