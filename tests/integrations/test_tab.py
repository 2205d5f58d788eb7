import json

import pytest
from django.urls import reverse

from integrations import booking_settings, connections, inbox
from integrations.models import Connection, WebhookDelivery
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.integrations import fake
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


def tab(workspace):
    return reverse("integrations_tab", args=[workspace.public_id])


def url(name, workspace, *args):
    return reverse(name, args=[workspace.public_id, *args])


def failed_delivery(workspace, key="evt-1"):
    delivery, _ = inbox.record_failed_delivery(
        provider=fake.NAME,
        workspace=workspace,
        body=json.dumps({"outcome": "processed"}).encode(),
        headers={},
        error="KeyError: 'invitee'",
        event="invitee.created",
        dedupe_key=key,
    )
    return delivery


def test_admin_sees_one_card_per_provider_and_what_to_do_next(
    admin_client, workspace, fake_provider
):
    page = admin_client.get(tab(workspace)).content.decode()

    assert 'id="provider-fake"' in page
    assert "Not connected. Fill in the form below to connect Fake Calendar." in page
    assert "No provider is connected yet." in page
    assert "No webhooks received yet." in page
    assert "No changes yet." in page


def test_the_nav_links_admins_to_the_tab(admin_client, workspace, fake_provider):
    page = admin_client.get(tab(workspace)).content.decode()
    assert f'href="{tab(workspace)}"' in page


def test_connecting_shows_who_and_the_last_four_only(admin_client, workspace, fake_provider):
    response = admin_client.post(
        url("integrations_connect", workspace, fake.NAME),
        {"account": "casey@agency.example", "api_token": fake.TOKEN},
    )
    assert response.status_code == 302

    page = admin_client.get(tab(workspace)).content.decode()
    assert "Connected as casey@agency.example, token ending ••••WXYZ" in page
    assert fake.TOKEN not in page
    assert "Connected" in page and admin_client.user.email in page  # the audit log


def test_a_refused_token_shows_on_its_field_and_stores_nothing(
    admin_client, workspace, fake_provider
):
    response = admin_client.post(
        url("integrations_connect", workspace, fake.NAME),
        {"account": "casey@agency.example", "api_token": "bad-token"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Fake refused this token: paste a live one." in page
    assert 'value="bad-token"' not in page  # a password field is never rendered back
    assert not Connection.objects.filter(status="connected").exists()


def test_a_missing_field_is_shown_inline(admin_client, workspace, fake_provider):
    response = admin_client.post(
        url("integrations_connect", workspace, fake.NAME), {"api_token": fake.TOKEN}
    )
    assert "This field is required." in response.content.decode()


def test_a_provider_that_is_down_says_so_on_the_form(admin_client, workspace, fake_provider):
    response = admin_client.post(
        url("integrations_connect", workspace, fake.NAME),
        {"account": "casey@agency.example", "api_token": "down"},
    )
    assert "Fake is not answering; try again in a minute." in response.content.decode()


def test_the_booking_choice_offers_only_connected_providers(admin_client, workspace, connected):
    page = admin_client.get(tab(workspace)).content.decode()
    assert '<option value="fake"' in page

    response = admin_client.post(
        url("integrations_booking_provider", workspace), {"booking_provider": fake.NAME}
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.booking_provider == fake.NAME
    audit = admin_client.get(tab(workspace)).content.decode().split('id="audit-title"')[1]
    switched = "switched the booking provider from GoHighLevel to Fake Calendar."
    assert f"{admin_client.user.email} {switched}" in audit


def test_choosing_a_provider_that_is_not_connected_is_an_inline_error(
    admin_client, workspace, connected
):
    response = admin_client.post(
        url("integrations_booking_provider", workspace), {"booking_provider": "nope"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_auto_book_switch_is_idempotent(admin_client, workspace, connected):
    booking_settings.choose_booking_provider(workspace=workspace, provider=fake.NAME)
    for _ in range(2):
        response = admin_client.post(url("integrations_auto_book", workspace), {"enabled": "on"})
        assert response.status_code == 302

    workspace.refresh_from_db()
    assert workspace.auto_book_enabled
    assert AuditEvent.objects.filter(action="workspace.auto_book_changed").count() == 1


def test_auto_book_refuses_without_a_connected_provider(admin_client, workspace, fake_provider):
    response = admin_client.post(
        url("integrations_auto_book", workspace), {"enabled": "on"}, HTTP_HX_REQUEST="true"
    )
    assert "Connect a booking provider and choose it" in response.content.decode()
    workspace.refresh_from_db()
    assert not workspace.auto_book_enabled


def test_disconnect_wipes_the_secrets(admin_client, workspace, connected):
    response = admin_client.post(url("integrations_disconnect", workspace, fake.NAME))
    assert response.status_code == 302
    conn = Connection.objects.get(pk=connected.pk)
    assert (conn.status, conn.secrets) == ("disconnected", {})


def test_a_refused_check_asks_to_reconnect(admin_client, workspace, connected):
    connections.update_connection(
        workspace=workspace, provider=fake.NAME, secrets={"api_token": "revoked"}
    )
    admin_client.post(url("integrations_check", workspace, fake.NAME))

    page = admin_client.get(tab(workspace)).content.decode()
    assert "The stored credentials were refused." in page
    assert Connection.objects.get(pk=connected.pk).status == "needs_reauth"


def test_deliveries_table_and_replay_button(
    admin_client, workspace, fake_provider, recorder, django_capture_on_commit_callbacks
):
    delivery = failed_delivery(workspace)
    page = admin_client.get(tab(workspace)).content.decode()
    assert "invitee.created" in page and "KeyError: &#x27;invitee&#x27;" in page
    assert url("integrations_replay", workspace, delivery.pk) in page

    with django_capture_on_commit_callbacks(execute=True):
        first = admin_client.post(url("integrations_replay", workspace, delivery.pk))
    second = admin_client.post(url("integrations_replay", workspace, delivery.pk))

    assert (first.status_code, second.status_code) == (302, 302)
    delivery.refresh_from_db()
    assert delivery.state == "processed"
    assert recorder.seen == [delivery.pk]


def test_replay_under_htmx_answers_the_row(admin_client, workspace, fake_provider):
    delivery = failed_delivery(workspace)
    response = admin_client.post(
        url("integrations_replay", workspace, delivery.pk), HTTP_HX_REQUEST="true"
    )
    row = response.content.decode()
    assert row.strip().startswith(f'<tr id="delivery-{delivery.pk}">')
    assert "Replay" not in row  # queued: nothing more to click


def test_a_delivery_of_another_workspace_is_404(admin_client, workspace, fake_provider):
    other = failed_delivery(WorkspaceFactory())
    response = admin_client.post(url("integrations_replay", workspace, other.pk))
    assert response.status_code == 404
    assert WebhookDelivery.objects.get(pk=other.pk).state == "failed"


ACTIONS = [
    ("get", "integrations_tab", ()),
    ("get", "integrations_deliveries", ()),
    ("post", "integrations_connect", (fake.NAME,)),
    ("post", "integrations_disconnect", (fake.NAME,)),
    ("post", "integrations_check", (fake.NAME,)),
    ("post", "integrations_booking_provider", ()),
    ("post", "integrations_auto_book", ()),
    ("post", "integrations_replay", (1,)),
]


@pytest.mark.parametrize(("method", "name", "args"), ACTIONS)
def test_a_non_member_gets_404(client, workspace, fake_provider, method, name, args):
    client.force_login(MembershipFactory(role="admin").user)  # admin elsewhere
    response = getattr(client, method)(url(name, workspace, *args))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["setter", "inbox_manager"])
@pytest.mark.parametrize(("method", "name", "args"), ACTIONS)
def test_a_member_who_is_not_admin_gets_403(client, workspace, connected, method, name, args, role):
    client.force_login(MembershipFactory(workspace=workspace, role=role).user)
    response = getattr(client, method)(
        url(name, workspace, *args), {"api_token": "x", "enabled": "on"}
    )
    assert response.status_code == 403
    assert Connection.objects.get(pk=connected.pk).status == "connected"


def test_anonymous_is_sent_to_login(client, workspace):
    response = client.get(tab(workspace))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_deliveries_table_refreshes_on_its_own(admin_client, workspace, fake_provider):
    failed_delivery(workspace)
    response = admin_client.get(url("integrations_deliveries", workspace), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<table" in html and "invitee.created" in html
    assert "<html" not in html


def test_when_the_booking_provider_is_not_connected_no_other_shows_as_chosen(
    admin_client, workspace, connected
):
    # The workspace still says GHL (the default) while only the fake calendar is connected.
    html = admin_client.get(tab(workspace)).content.decode()
    select = html[html.index('<select name="booking_provider"') :]
    select = select[: select.index("</select>")]
    assert select.index("Choose a connected provider…") < select.index("Fake Calendar")
    assert "selected" not in select  # the browser shows the blank first option
    assert "is the booking provider but is not connected" in html


def test_saving_a_working_connection_again_is_a_change_of_settings_shown_compactly(
    admin_client, workspace, connected
):
    connections.connect(
        workspace=workspace,
        provider=fake.NAME,
        secrets={"api_token": fake.TOKEN},
        config={
            "account": "casey@agency.example",
            "calendars": [{"id": "a"}, {"id": "b"}],
            "calendar_name": "",  # from nothing to empty: nothing a person would see changed
        },
        display_name="casey@agency.example",
        token_hint=fake.TOKEN,
    )
    html = admin_client.get(tab(workspace)).content.decode()
    assert "changed the settings of Fake Calendar" in html
    assert "calendars list refreshed (2)" in html
    assert html.count("account: none → casey@agency.example") <= 1  # said once
    assert "{&#x27;id&#x27;" not in html  # no raw Python list in the audit log
    assert "calendar_name" not in html


def test_the_tab_opens_with_a_one_line_summary_of_the_booking_choice(
    admin_client, workspace, connected
):
    workspace.booking_provider = fake.NAME
    workspace.save()

    html = admin_client.get(tab(workspace)).content.decode()

    summary = html.split('id="integrations-summary"')[1].split("</p>")[0]
    assert "<strong>Fake Calendar</strong> books for this workspace;" in summary
    assert "auto-booking is <strong>off</strong>" in summary
