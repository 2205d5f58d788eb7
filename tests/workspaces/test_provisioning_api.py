import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import LeadFactory, MembershipFactory, UserFactory, WorkspaceFactory
from workspaces.models import AuditEvent, Membership, Workspace

pytestmark = pytest.mark.django_db

User = get_user_model()

PAYLOAD = {
    "name": "Acme Dental",
    "external_id": "crm-1001",
    "timezone": "America/Chicago",
    "booking_provider": "calendly",
    "auto_book_enabled": True,
    "admins": ["owner@acme.example"],
    "setters": ["Sam@Acme.example ", "kim@acme.example", "sam@acme.example"],
    "inbox_managers": ["ivy@acme.example"],
}


def lead_page(client, user, workspace):
    client.force_login(user)
    return client.get(reverse("lead_list", args=[workspace.public_id]))


def test_create_returns_the_workspace_with_members_and_webhook_urls(api, settings):
    response = api.post(PAYLOAD)

    assert response.status_code == 201
    body = response.json()
    workspace = Workspace.objects.get(external_id="crm-1001")
    assert body == {
        "id": str(workspace.public_id),
        "external_id": "crm-1001",
        "name": "Acme Dental",
        "timezone": "America/Chicago",
        "booking_provider": "calendly",
        "messaging_channel": None,
        "auto_book_enabled": True,
        "is_active": True,
        "members": {
            "admins": ["owner@acme.example"],
            "setters": ["kim@acme.example", "sam@acme.example"],
            "inbox_managers": ["ivy@acme.example"],
        },
        "webhook_urls": {
            "calendly": f"{settings.PUBLIC_BASE_URL}/webhooks/calendly/{workspace.public_id}/",
            "ghl": f"{settings.PUBLIC_BASE_URL}/webhooks/ghl/{workspace.public_id}/",
        },
    }


def test_new_people_get_a_user_without_password_and_one_invitation_each(api):
    api.post(PAYLOAD)

    sam = User.objects.get(email="sam@acme.example")
    assert not sam.has_usable_password()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ivy@acme.example",
        "kim@acme.example",
        "owner@acme.example",
        "sam@acme.example",
    ]
    assert "Acme Dental" in mail.outbox[0].subject


def test_the_invitation_link_lets_the_person_set_a_password_and_log_in(api, client):
    api.post({**PAYLOAD, "admins": [], "setters": ["sam@acme.example"], "inbox_managers": []})
    link = re.search(r"https?://\S+/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    form_page = client.get(f"/{path}", follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "plum orchard 42", "new_password2": "plum orchard 42"},
    )

    assert done.status_code == 302
    client.logout()
    login = client.post(
        reverse("login"), {"username": "sam@acme.example", "password": "plum orchard 42"}
    )
    assert login.status_code == 302


def test_an_existing_user_is_added_without_an_invitation(api):
    existing = UserFactory(email="Kim@Acme.example", username="kim@acme.example")

    api.post({**PAYLOAD, "setters": ["kim@acme.example"]})

    assert Membership.objects.filter(user=existing, role="setter").exists()
    assert "kim@acme.example" not in [m.to[0] for m in mail.outbox]


def test_same_payload_again_is_200_and_changes_nothing(api):
    first = api.post(PAYLOAD)
    workspace = Workspace.objects.get(external_id="crm-1001")
    counts = (Workspace.objects.count(), Membership.objects.count(), User.objects.count())
    events, mails, updated_at = AuditEvent.objects.count(), len(mail.outbox), workspace.updated_at

    again = api.post(PAYLOAD)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert (Workspace.objects.count(), Membership.objects.count(), User.objects.count()) == counts
    assert AuditEvent.objects.count() == events
    assert len(mail.outbox) == mails  # no second invitation
    workspace.refresh_from_db()
    assert workspace.updated_at == updated_at


def test_post_with_a_known_external_id_updates_that_workspace(api):
    api.post(PAYLOAD)

    response = api.post({**PAYLOAD, "name": "Acme Dental Group", "timezone": "Europe/Paris"})

    assert response.status_code == 200
    assert Workspace.objects.count() == 1
    workspace = Workspace.objects.get()
    assert (workspace.name, workspace.timezone) == ("Acme Dental Group", "Europe/Paris")
    event = AuditEvent.objects.filter(action="workspace_updated").get()
    assert event.actor_label == "api key: onboarding"
    assert event.changes["timezone"] == ["America/Chicago", "Europe/Paris"]


def test_post_without_external_id_always_creates(api):
    payload = {"name": "Solo", "timezone": "UTC"}

    assert api.post(payload).status_code == 201
    assert api.post(payload).status_code == 201
    assert Workspace.objects.filter(name="Solo").count() == 2


def test_defaults_when_optional_settings_are_absent(api):
    body = api.post({"name": "Minimal", "timezone": "UTC"}).json()

    assert body["booking_provider"] == "ghl"
    assert body["auto_book_enabled"] is False
    assert body["external_id"] is None
    assert body["members"] == {"admins": [], "setters": [], "inbox_managers": []}


def test_replacing_setters_removes_the_left_out_setter_and_their_access(api, client):
    api.post(PAYLOAD)
    workspace = Workspace.objects.get(external_id="crm-1001")
    sam = User.objects.get(email="sam@acme.example")
    assert lead_page(client, sam, workspace).status_code == 200

    response = api.post({**PAYLOAD, "setters": ["kim@acme.example", "lee@acme.example"]})

    assert response.json()["members"]["setters"] == ["kim@acme.example", "lee@acme.example"]
    assert lead_page(client, sam, workspace).status_code == 404
    removed = AuditEvent.objects.get(action="member_removed")
    assert removed.changes == {"email": "sam@acme.example", "role": "setter"}
    assert removed.actor_label == "api key: onboarding"
    assert AuditEvent.objects.filter(action="member_added", changes__email="lee@acme.example")


def test_a_removed_setter_keeps_their_other_roles_and_workspaces(api, client):
    api.post({**PAYLOAD, "inbox_managers": ["sam@acme.example"]})
    workspace = Workspace.objects.get(external_id="crm-1001")
    sam = User.objects.get(email="sam@acme.example")
    elsewhere = MembershipFactory(user=sam, role="setter").workspace

    api.post({**PAYLOAD, "setters": [], "inbox_managers": ["sam@acme.example"]})

    assert set(sam.memberships.values_list("workspace", "role")) == {
        (workspace.pk, "inbox_manager"),
        (elsewhere.pk, "setter"),
    }
    assert lead_page(client, sam, workspace).status_code == 200


def test_an_absent_list_leaves_that_role_untouched(api):
    api.post(PAYLOAD)
    events = AuditEvent.objects.count()

    partial = {key: value for key, value in PAYLOAD.items() if key != "setters"}
    response = api.post({**partial, "admins": ["boss@acme.example"]})

    members = response.json()["members"]
    assert members["setters"] == ["kim@acme.example", "sam@acme.example"]
    assert members["inbox_managers"] == ["ivy@acme.example"]
    assert members["admins"] == ["boss@acme.example"]
    assert AuditEvent.objects.count() == events + 2  # boss added, owner removed


def test_an_empty_list_removes_everyone_in_that_role(api):
    api.post(PAYLOAD)

    response = api.post({**PAYLOAD, "inbox_managers": []})

    assert response.json()["members"]["inbox_managers"] == []


def test_get_one_workspace(api):
    created = api.post(PAYLOAD).json()

    response = api.get(created["id"])

    assert response.status_code == 200
    assert response.json() == created


def test_list_is_paginated_and_filters_by_external_id(api):
    for n in range(3):
        api.post({**PAYLOAD, "external_id": f"crm-{n}", "name": f"Client {n}"})

    page = api.list(page_size=2).json()
    assert page["count"] == 3
    assert [w["name"] for w in page["results"]] == ["Client 0", "Client 1"]
    assert page["next"]

    only = api.list(external_id="crm-2").json()
    assert [w["external_id"] for w in only["results"]] == ["crm-2"]
    assert api.list(external_id="nope").json()["count"] == 0


def test_list_query_count_does_not_grow_with_workspaces(api):
    def queries_for_list():
        with CaptureQueriesContext(connection) as ctx:
            assert api.list().status_code == 200
        return len(ctx.captured_queries)

    for membership in MembershipFactory.create_batch(2):
        MembershipFactory(workspace=membership.workspace, role="admin")
    few = queries_for_list()
    for membership in MembershipFactory.create_batch(8):
        MembershipFactory(workspace=membership.workspace, role="inbox_manager")

    assert queries_for_list() == few


def test_list_shows_deactivated_workspaces_too(api):
    WorkspaceFactory(is_active=False, external_id="gone")

    assert api.list(external_id="gone").json()["results"][0]["is_active"] is False


def test_patch_changes_only_what_it_names(api):
    created = api.post(PAYLOAD).json()

    response = api.patch(
        created["id"], {"auto_book_enabled": False, "setters": ["new@acme.example"]}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["auto_book_enabled"] is False
    assert body["name"] == "Acme Dental"
    assert body["members"]["setters"] == ["new@acme.example"]
    assert body["members"]["admins"] == ["owner@acme.example"]
    assert mail.outbox[-1].to == ["new@acme.example"]


def test_patch_can_set_an_external_id_but_not_one_another_workspace_has(api):
    WorkspaceFactory(external_id="taken")
    workspace = WorkspaceFactory(name="Original")

    assert api.patch(workspace.public_id, {"external_id": "mine"}).json()["external_id"] == "mine"
    response = api.patch(workspace.public_id, {"external_id": "taken", "name": "Renamed"})

    assert response.status_code == 400
    assert "external_id" in response.json()
    workspace.refresh_from_db()
    assert (workspace.external_id, workspace.name) == ("mine", "Original")


def test_delete_deactivates_keeps_the_data_and_members_lose_access(api, client):
    created = api.post(PAYLOAD).json()
    workspace = Workspace.objects.get(public_id=created["id"])
    lead = LeadFactory(workspace=workspace)
    sam = User.objects.get(email="sam@acme.example")

    response = api.delete(created["id"])

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["members"] == created["members"]  # memberships are kept
    assert Workspace.objects.filter(pk=workspace.pk, is_active=False).exists()
    assert workspace.leads.filter(pk=lead.pk).exists()
    assert lead_page(client, sam, workspace).status_code == 404
    assert (
        AuditEvent.objects.filter(workspace=workspace, action="workspace_deactivated").count() == 1
    )


def test_delete_twice_is_harmless_and_patch_reactivates(api, client):
    created = api.post(PAYLOAD).json()
    api.delete(created["id"])

    assert api.delete(created["id"]).status_code == 200
    assert AuditEvent.objects.filter(action="workspace_deactivated").count() == 1

    assert api.patch(created["id"], {"is_active": True}).json()["is_active"] is True
    sam = User.objects.get(email="sam@acme.example")
    workspace = Workspace.objects.get(public_id=created["id"])
    assert lead_page(client, sam, workspace).status_code == 200
