"""Each provider card at a glance: the last webhook received and the last sync with their
results, its actions in one row (Sync now enqueues that provider's sweep of this workspace), no
URL to paste for Calendly and GoHighLevel's URL with a copy button."""

import json

import pytest
from django.urls import reverse

from followups.errors import ProviderError
from integrations import connections, inbox, reconcile
from tests.integrations import fake

pytestmark = pytest.mark.django_db

# What the test sweep does next: None succeeds, a message fails the whole sweep.
OUTCOME = {"error": None, "runs": 0}


def _repair(workspace, state, start, now):
    OUTCOME["runs"] += 1
    if OUTCOME["error"]:
        raise ProviderError(OUTCOME["error"])
    return set()


_, _fake_sweep = reconcile.tasks(
    reconcile.Sweep(
        provider=fake.NAME,
        lookback=reconcile.BACKOFF_MAX,
        connected_workspace_ids=lambda: [],
        repair=_repair,
        on_auth_error=lambda workspace, error: None,
    ),
    prefix="tests.integrations.fake_sweep",
)


@pytest.fixture
def sweepable(fake_provider):
    OUTCOME.update(error=None, runs=0)
    reconcile._workspace_tasks[fake.NAME] = _fake_sweep
    yield
    reconcile._workspace_tasks.pop(fake.NAME, None)


def tab(client, workspace) -> str:
    response = client.get(reverse("integrations_tab", args=[workspace.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def card_of(html: str, name: str) -> str:
    return html.split(f'id="provider-{name}"')[1].split("</article>")[0]


def sync(client, workspace):
    return client.post(
        reverse("integrations_sync", args=[workspace.public_id, fake.NAME]), follow=True
    )


def test_a_connected_card_says_nothing_arrived_or_ran_yet(
    admin_client, workspace, connected, sweepable
):
    card = card_of(tab(admin_client, workspace), fake.NAME)

    assert "Last webhook</dt>" in card and "none received yet" in card
    assert "Last sync</dt>" in card and "not run yet" in card


def test_sync_now_runs_the_sweep_and_the_card_shows_it_went_through(
    admin_client, workspace, connected, sweepable
):
    response = sync(admin_client, workspace)

    page = response.content.decode()
    assert "Fake Calendar: a sync is queued; its result shows on the card." in page
    assert OUTCOME["runs"] == 1
    glance = card_of(page, fake.NAME).split('class="glance-reconcile">')[1].split("</dd>")[0]
    assert '<span class="badge badge-processed">ok</span>' in glance


def test_a_failed_sync_shows_its_reason_and_sync_now_waits_for_the_back_off(
    admin_client, workspace, connected, sweepable
):
    OUTCOME["error"] = "Fake Calendar answered 503: try again later."

    card = card_of(sync(admin_client, workspace).content.decode(), fake.NAME)
    assert "failed</span> Fake Calendar answered 503: try again later." in card
    assert "tries again" in card

    again = sync(admin_client, workspace).content.decode()
    assert "a sync is already under way or waiting after a failure" in again
    assert OUTCOME["runs"] == 1


def test_sync_now_is_refused_while_not_connected_and_for_providers_without_a_sweep(
    admin_client, workspace, fake_provider, sweepable
):
    page = sync(admin_client, workspace).content.decode()
    assert "Fake Calendar is not connected: connect it, then sync." in page
    assert OUTCOME["runs"] == 0

    reconcile._workspace_tasks.pop(fake.NAME)
    response = admin_client.post(reverse("integrations_sync", args=[workspace.public_id, "email"]))
    assert response.status_code == 404


def test_the_last_webhook_shows_its_event_and_result(admin_client, workspace, connected):
    inbox.record_failed_delivery(
        provider=fake.NAME,
        workspace=workspace,
        body=json.dumps({"outcome": "processed"}).encode(),
        headers={},
        error="KeyError: 'invitee'",
        event="invitee.created",
        dedupe_key="evt-9",
    )

    glance = card_of(tab(admin_client, workspace), fake.NAME).split('class="glance-webhook">')[1]
    assert glance.startswith("invitee.created · ")
    assert 'class="badge badge-failed">Failed</span>' in glance.split("</dd>")[0]


def test_a_setter_cannot_sync(client, workspace, connected, sweepable):
    from tests.factories import MembershipFactory

    setter = MembershipFactory(workspace=workspace, role="setter")
    client.force_login(setter.user)

    response = client.post(reverse("integrations_sync", args=[workspace.public_id, fake.NAME]))

    assert response.status_code == 403
    assert OUTCOME["runs"] == 0


def test_the_ghl_card_shows_its_url_with_a_copy_button(admin_client, workspace):
    connections.connect(
        workspace=workspace,
        provider="ghl",
        secrets={"access_token": "pit-0123456789abcd"},
        config={"location_id": "loc-1"},
        token_hint="pit-0123456789abcd",
    )

    card = card_of(tab(admin_client, workspace), "ghl")

    url = reverse("ghl_webhook", args=[workspace.public_id])
    assert url in card.split("data-copy")[0]
    assert 'data-copy="#webhook-ghl"' in card and ">Copy</button>" in card
    assert "<script" not in card  # the copy is static/app.js's: the CSP forbids inline script


def test_the_calendly_card_has_no_url_to_paste_and_its_actions_in_one_row(
    admin_client, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    with on_commit():
        admin_client.post(
            reverse("integrations_connect", args=[workspace.public_id, "calendly"]),
            {
                "access_token": calendly_sandbox.token,
                "event_type_link": calendly_sandbox.booking_link(),
            },
        )

    card = card_of(tab(admin_client, workspace), "calendly")

    assert "Webhook URL" not in card and 'id="webhook-calendly"' not in card
    row = card.split('<div class="filters">')[1].split("</div>")[0]
    buttons = [b.split(">")[1] for b in row.split("<button")[1:]]
    assert [b.split("<")[0] for b in buttons] == [
        "Test connection",
        "Send a test event",
        "Sync now",
        "Repair subscription",
        "Disable Calendly",
    ]


def test_the_calendly_event_type_shows_its_colour_duration_and_location_as_calendly_does(
    admin_client, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    with on_commit():
        admin_client.post(
            reverse("integrations_connect", args=[workspace.public_id, "calendly"]),
            {
                "access_token": calendly_sandbox.token,
                "event_type_link": calendly_sandbox.booking_link(),
            },
        )

    card = card_of(tab(admin_client, workspace), "calendly")

    chosen = card.split('id="calendly-current-event-type">')[1].split("</dd>")[0]
    assert 'fill="#0069ff"' in chosen  # Calendly's own colour for the event type
    assert " min) · one-on-one · Zoom" in chosen
    listed = card.split('id="calendly-event-type"')[1].split("</select>")[0]
    assert "min) · one-on-one · Zoom</option>" in listed
