"""The Calendly card on the Integrations tab: an empty state that says what to do, connected-as
details, the event type chosen or pasted with errors inline, missing scopes named, the
subscription's health with Repair, and never a secret. Every POST is for admins only."""

import pytest
from django.urls import reverse

from calendly import account as calendly_account
from calendly.models import Subscription
from calendly.sandbox.records import ALL_SCOPES
from integrations import connections
from tests.calendly.helpers import OLD_INTRO
from tests.factories import MembershipFactory, UserFactory
from workspaces.models import Membership

pytestmark = pytest.mark.django_db


def tab(client, workspace):
    response = client.get(reverse("integrations_tab", args=[workspace.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def connect_url(workspace):
    return reverse("integrations_connect", args=[workspace.public_id, "calendly"])


def test_the_empty_card_says_what_to_do(admin_client, workspace, calendly_sandbox):
    html = tab(admin_client, workspace)

    assert 'id="provider-calendly"' in html and 'id="calendly-empty"' in html
    assert '<label for="calendly-token">Personal access token</label>' in html
    assert "scheduled_events:write" in html and "webhooks:write" in html  # what to grant
    assert "Connect with Calendly" not in html  # OAuth is not configured


def test_oauth_is_offered_when_the_app_is_configured(admin_client, workspace, settings):
    settings.CALENDLY_OAUTH_CLIENT_ID, settings.CALENDLY_OAUTH_CLIENT_SECRET = "id", "secret"
    assert "Connect with Calendly" in tab(admin_client, workspace)


def test_connecting_from_the_card_shows_who_and_never_the_token(
    admin_client, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    with on_commit():
        response = admin_client.post(
            connect_url(workspace),
            {
                "access_token": calendly_sandbox.token,
                "event_type_link": calendly_sandbox.booking_link(),
            },
        )
    html = tab(admin_client, workspace)

    assert response.status_code == 302
    assert "Casey Closer (closer@agency.example)" in html
    assert f"{calendly_sandbox.base_url}/casey-closer" in html  # the scheduling page
    assert "/organizations/0a9b8c7d-1111-4222-8333-444455556666" in html
    assert f"token ending ••••{calendly_sandbox.token[-4:]}" in html
    assert "<strong>Discovery Call</strong> (30 min)" in html
    assert calendly_sandbox.token not in html
    key = connections.Connection.objects.get(workspace=workspace).secret("webhook_signing_key")
    assert key and key not in html
    assert 'id="calendly-subscription-state">active<' in html
    assert "Repair subscription" in html and "Disable Calendly" in html


def test_the_event_type_is_chosen_from_a_select_of_calendlys_list(
    admin_client, workspace, calendly_sandbox
):
    admin_client.post(connect_url(workspace), {"access_token": calendly_sandbox.token})
    html = tab(admin_client, workspace)
    assert '<select id="calendly-event-type" name="event_type">' in html
    assert "Strategy Session (60 min)" in html and "Old Intro Call" not in html
    assert "Choose the event type to book into" in html

    admin_client.post(connect_url(workspace), {"event_type": calendly_sandbox.event_type_uri()})

    assert calendly_account.is_connected(workspace)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"event_type_link": "{base}/casey-closer/nope"}, "No event type of Casey Closer"),
        ({"event_type": f"{{base}}/event_types/{OLD_INTRO}"}, "is turned off in Calendly"),
    ],
)
def test_a_bad_event_type_is_shown_on_its_field(
    admin_client, workspace, calendly_sandbox, data, says
):
    admin_client.post(connect_url(workspace), {"access_token": calendly_sandbox.token})
    data = {k: v.format(base=calendly_sandbox.base_url) for k, v in data.items()}

    response = admin_client.post(connect_url(workspace), data)

    html = response.content.decode()
    assert response.status_code == 200 and says in html
    field = "calendly-event-type-link" if "event_type_link" in data else "calendly-event-type"
    error_at = html.index(says)
    nearest_label = html.rindex("<label", 0, error_at)
    assert html.startswith(f'<label for="{field}"', nearest_label)  # shown under its own field


def test_a_refused_token_is_shown_on_the_token_field(admin_client, workspace, calendly_sandbox):
    response = admin_client.post(connect_url(workspace), {"access_token": "pat-wrong"})

    html = response.content.decode()
    assert response.status_code == 200 and "Calendly refused this token" in html
    # Given back in its own field only, so a typo is fixed without pasting it again (issue 19).
    assert html.count("pat-wrong") == 1 and 'value="pat-wrong" required aria-invalid="true"' in html
    assert "pat-wrong" not in tab(admin_client, workspace)  # never once it is left


def test_missing_scopes_found_by_a_check_are_named_with_what_to_grant(
    admin_client, workspace, calendly_connected
):
    calendly_connected.config(scopes=[s for s in ALL_SCOPES if s != "scheduling_links:write"])

    admin_client.post(reverse("integrations_check", args=[workspace.public_id, "calendly"]))
    html = tab(admin_client, workspace)

    assert 'id="calendly-missing-scopes"' in html
    assert "The token lacks scheduling_links:write." in " ".join(html.split())
    assert "users:read, event_types:read" in html


def test_test_connection_names_the_user_organization_and_scheduling_page(
    admin_client, workspace, calendly_connected
):
    response = admin_client.post(
        reverse("integrations_check", args=[workspace.public_id, "calendly"]), follow=True
    )

    said = " ".join(str(m) for m in response.context["messages"])
    assert "Connected as Casey Closer (closer@agency.example)" in said
    assert "organization " in said and "/casey-closer" in said and "“Discovery Call”" in said


def test_the_subscriptions_health_and_refusals_are_shown(
    admin_client, client, workspace, calendly_connected
):
    Subscription.objects.filter(workspace=workspace).update(
        state="error", last_error="Calendly is not answering."
    )
    client.post(
        reverse("calendly_webhook", args=[workspace.public_id]),
        data=b"{}",
        content_type="application/json",
    )

    html = tab(admin_client, workspace)

    assert "could not be checked" in html and "Calendly is not answering." in html
    assert "Refused webhook requests: 1" in html and "missing signature header" in html


def test_repair_recreates_and_a_second_click_is_harmless(
    admin_client, workspace, calendly_connected, on_commit
):
    [hook] = calendly_connected.subscriptions()
    calendly_connected.disable_subscription(hook["uri"])
    url = reverse("calendly_repair_subscription", args=[workspace.public_id])

    with on_commit():
        admin_client.post(url)
    with on_commit():
        second = admin_client.post(url, follow=True)

    [now] = calendly_connected.subscriptions()
    html = tab(admin_client, workspace)
    assert second.status_code == 200
    assert now["uri"] != hook["uri"] and now["state"] == "active"  # one, recreated once
    assert 'id="calendly-subscription-state">active<' in html
    assert "Calendly had disabled it" in html


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("integrations_connect", "post"),
        ("calendly_repair_subscription", "post"),
        ("calendly_disable", "post"),
        ("calendly_oauth_start", "post"),
        ("integrations_tab", "get"),
    ],
)
def test_a_setter_is_refused_and_a_stranger_finds_nothing(client, workspace, name, method):
    args = (
        [workspace.public_id, "calendly"]
        if name == "integrations_connect"
        else [workspace.public_id]
    )
    url = reverse(name, args=args)
    setter = MembershipFactory(workspace=workspace, role=Membership.Role.SETTER).user
    stranger = UserFactory()

    client.force_login(setter)
    as_setter = getattr(client, method)(url)
    client.force_login(stranger)
    as_stranger = getattr(client, method)(url)

    assert (as_setter.status_code, as_stranger.status_code) == (403, 404)


def test_the_card_buttons_need_a_post(admin_client, workspace):
    for name in ("calendly_repair_subscription", "calendly_disable", "calendly_oauth_start"):
        assert admin_client.get(reverse(name, args=[workspace.public_id])).status_code == 405


def test_refused_credentials_open_the_token_field_to_paste_a_new_one(
    admin_client, workspace, calendly_connected
):
    calendly_account.mark_needs_reauth(workspace=workspace, error="Calendly rejected the token.")

    html = tab(admin_client, workspace)

    assert "The stored credentials were refused" in html
    flat = " ".join(html.split())
    assert "<details open> <summary>Use another personal access token</summary>" in flat
