"""The Calendly card of the Integrations tab in a real browser, against the Calendly sandbox (a
fake Calendly API in a thread of this process) and the live server, which the sandbox can reach:
connect with a personal access token, choose the event type from the list and by its booking
link, watch the webhook subscription, switch the booking provider, replay a failed delivery,
disable Calendly; and the card's buttons refuse a setter."""

import re
import time

import httpx
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from calendly import account as calendly_account
from calendly import connection
from calendly.signatures import SIGNATURE_HEADER, sign
from integrations import booking_settings, connections
from integrations.models import WebhookDelivery
from tests.calendly.helpers import STRATEGY, SandboxDriver
from tests.support.broker import tasks_sent_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(settings, live_server):
    """A fresh Calendly sandbox that delivers its webhooks to the live server."""
    sandbox = SandboxDriver.start()
    settings.CALENDLY_API_BASE = sandbox.base_url
    settings.CALENDLY_AUTH_BASE = sandbox.base_url
    settings.PUBLIC_BASE_URL = live_server.url
    yield sandbox
    sandbox.stop()


@pytest.fixture
def calendly_connected(workspace, admin, sandbox):
    """Calendly connected as the card's form does it (the token, Discovery Call), its webhook
    subscription made at the sandbox (the task runs once the connection is committed)."""
    connection.connect(
        workspace=workspace,
        data={"access_token": sandbox.token, "event_type": sandbox.event_type_uri()},
        actor=admin,
    )
    assert [s["state"] for s in our_subscriptions(sandbox, workspace)] == ["active"]
    return sandbox


@pytest.fixture
def ghl_connected(workspace):
    """A real stored, encrypted GHL connection (as its card leaves one), which books by default."""
    return connections.connect(
        workspace=workspace,
        provider="ghl",
        secrets={"access_token": "pit-e2e-token-0000"},
        config={"location_id": "loc-e2e", "calendar_id": "cal-e2e", "calendar_name": "Intro"},
        display_name="E2E location",
        token_hint="0000",
    )


# 1. Connecting and choosing the event type


def test_an_admin_connects_calendly_and_chooses_the_event_type_from_the_list_and_by_link(
    page, step, log_in, admin, workspace, sandbox
):
    log_in(page, admin)
    page.get_by_role("navigation", name="Workspace").get_by_role(
        "link", name="Integrations"
    ).click()
    card = calendly_card(page)
    expect(card).to_contain_text("Calendly is not connected.")
    step("the empty Calendly card")

    card.get_by_label("Personal access token").fill(sandbox.token)
    submit(card.get_by_role("button", name="Connect", exact=True))

    expect(flash(page)).to_contain_text("Calendly is connected.")
    expect(card.locator("#calendly-account")).to_contain_text("Casey Closer")
    expect(current_event_type(card)).to_have_text("not chosen yet: choose it below")
    step("connected, no event type yet")

    chooser = card.get_by_label("Event type", exact=True)
    expect(chooser.get_by_role("option")).to_have_text(
        [
            "Choose an event type…",
            "Discovery Call (30 min) · one-on-one · Zoom",
            "Strategy Session (60 min) · one-on-one · Zoom",
            "Group Q&A (60 min) · group · Zoom",
            "Sales Intro (30 min) · round robin · Zoom",
            "Team Demo (30 min) · collective · Zoom",
        ]
    )
    chooser.select_option(label="Discovery Call (30 min) · one-on-one · Zoom")
    submit(card.get_by_role("button", name="Save event type"))

    expect(current_event_type(card)).to_contain_text("Discovery Call (30 min)")
    expect(card.get_by_role("heading", level=2)).to_contain_text("Connected")
    expect(card).to_contain_text("Connected as Casey Closer (closer@agency.example)")
    step("Discovery Call chosen from the list")

    link_field = card.get_by_label("…or paste its booking link")
    link_field.fill(sandbox.booking_link("strategy-session"))
    submit(card.get_by_role("button", name="Save event type"))

    expect(current_event_type(card)).to_contain_text("Strategy Session (60 min)")
    expect(card.locator("#calendly-required-questions")).to_contain_text(
        "What is your company's website?"
    )
    step("Strategy Session chosen by its booking link")
    assert stored_event_type(workspace) == sandbox.event_type_uri(STRATEGY)

    refusals = [
        (f"{sandbox.base_url}/someone-else/strategy-session", "No event type of Casey Closer's"),
        ("https://example.com/pricing", "No event type of Casey Closer's"),
        (sandbox.booking_link("old-intro-call"), "“Old Intro Call” is turned off in Calendly"),
    ]
    for link, error in refusals:
        link_field.fill(link)
        submit(card.get_by_role("button", name="Save event type"))

        expect(link_field).to_have_accessible_description(re.compile(re.escape(error)))
        expect(link_field).to_have_value(link)
        expect(current_event_type(card)).to_contain_text("Strategy Session (60 min)")
        step(f"refused: {link}")
        assert stored_event_type(workspace) == sandbox.event_type_uri(STRATEGY)


# 2. The webhook subscription


def test_the_subscription_is_active_after_connect_and_repair_recreates_one_calendly_disabled(
    page, step, log_in, admin, workspace, sandbox
):
    log_in(page, admin)
    page.goto(tab_url(workspace))
    card = calendly_card(page)
    card.get_by_label("Personal access token").fill(sandbox.token)
    card.get_by_label("Event type booking link (optional)").fill(sandbox.booking_link())
    submit(card.get_by_role("button", name="Connect", exact=True))

    subscription = card.get_by_role("region", name="Webhook subscription")
    expect(subscription.locator("#calendly-subscription-state")).to_have_text("active")
    step("subscription active after connect")
    [made] = our_subscriptions(sandbox, workspace)
    assert made["state"] == "active" and made["has_signing_key"]

    # As Calendly does after a day of failed deliveries. Nothing tells us until a check (beat's,
    # or this Repair) lists it, and that same check deletes it and makes a new one.
    sandbox.disable_subscription(made["uri"])
    submit(card.get_by_role("button", name="Repair subscription"))  # in the actions row

    expect(flash(page)).to_contain_text("Calendly's webhook subscription is active.")
    expect(subscription.locator("#calendly-subscription-state")).to_have_text("active")
    expect(subscription).to_contain_text("Calendly had disabled it")
    step("repaired")
    [remade] = our_subscriptions(sandbox, workspace)
    assert remade["state"] == "active" and remade["uri"] != made["uri"]


# 3. The booking provider


def test_an_admin_switches_the_booking_provider_from_ghl_to_calendly_and_back(
    page, step, log_in, admin, workspace, ghl_connected, calendly_connected
):
    log_in(page, admin)
    page.goto(tab_url(workspace))
    ghl, calendly = page.locator("#provider-ghl"), calendly_card(page)
    books = "Books for this workspace"
    expect(ghl.get_by_role("heading", level=2)).to_contain_text(books)
    expect(calendly.get_by_role("heading", level=2)).not_to_contain_text(books)
    step("GoHighLevel books")

    choose_booking_provider(page, "Calendly")

    expect(flash(page)).to_contain_text("Calendly now books for this workspace.")
    expect(calendly.get_by_role("heading", level=2)).to_contain_text(books)
    expect(ghl.get_by_role("heading", level=2)).not_to_contain_text(books)
    expect(audit_row(page, "from GoHighLevel to Calendly")).to_contain_text(admin.email)
    step("Calendly books")

    choose_booking_provider(page, "GoHighLevel")

    expect(flash(page)).to_contain_text("GoHighLevel now books for this workspace.")
    expect(ghl.get_by_role("heading", level=2)).to_contain_text(books)
    expect(calendly.get_by_role("heading", level=2)).not_to_contain_text(books)
    expect(audit_row(page, "from Calendly to GoHighLevel")).to_contain_text(admin.email)
    step("GoHighLevel books again")
    workspace.refresh_from_db()
    assert workspace.booking_provider == "ghl"


# 4. A failed delivery


def test_an_admin_replays_a_calendly_delivery_that_failed(
    page, step, log_in, admin, workspace, live_server, calendly_connected, redis_server
):
    response = post_signed(live_server, workspace, b"invitee.created but not JSON")
    assert response.status_code == 400
    failed = WebhookDelivery.objects.get(workspace=workspace, provider="calendly")
    log_in(page, admin)
    page.goto(tab_url(workspace))
    row = page.locator(f"#delivery-{failed.pk}")
    expect(row.get_by_role("cell")).to_have_text(
        [
            re.compile(r"."),
            re.compile(r"Calendly\s+—"),
            re.compile(r"Failed\s+body is not JSON"),
            "—",
            re.compile(r"Show"),
            "Replay",
        ]
    )
    step("the failed Calendly delivery")

    # Queued for a worker (a real broker with no worker yet), so the new state stays to be seen.
    with tasks_sent_to(redis_server.url()):
        row.get_by_role("button", name="Replay").click()
        expect(row).to_contain_text("Received")

    expect(row.get_by_role("button", name="Replay")).to_have_count(0)
    step("replayed")
    assert WebhookDelivery.objects.get(pk=failed.pk).state == "received"


# 5. Disabling


def test_an_admin_disables_calendly_and_the_card_is_empty_again(
    page, step, log_in, admin, workspace, calendly_connected
):
    booking_settings.choose_booking_provider(workspace=workspace, provider="calendly")
    booking_settings.set_auto_book(workspace=workspace, enabled=True)
    log_in(page, admin)
    page.goto(tab_url(workspace))
    card = calendly_card(page)
    expect(card).to_contain_text("Connected as Casey Closer")
    expect(page.locator("#auto-book")).to_contain_text("Auto-booking is on")
    step("connected, booking, auto-booking on")

    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    submit(card.get_by_role("button", name="Disable Calendly"))

    expect(flash(page)).to_contain_text("Calendly is disabled")
    expect(flash(page)).to_contain_text("Its webhook subscription was deleted at Calendly.")
    expect(flash(page)).to_contain_text(
        "Auto-booking was turned off: Calendly was this workspace's booking provider."
    )
    assert dialogs and dialogs[0].startswith("Disable Calendly?")
    expect(card).to_contain_text("Calendly is not connected.")
    expect(card).not_to_contain_text("Connected as")
    expect(card.get_by_label("Personal access token")).to_have_value("")
    expect(card.get_by_role("button", name="Connect", exact=True)).to_be_visible()
    expect(card.get_by_role("button", name="Disable Calendly")).to_have_count(0)
    expect(page.locator("#auto-book")).to_contain_text("Auto-booking is off")
    step("disabled")
    assert our_subscriptions(calendly_connected, workspace) == []


# 6. A setter


def test_the_calendly_card_buttons_refuse_a_setter(
    page, step, log_in, setter, workspace, calendly_connected
):
    log_in(page, setter)
    step("a setter logged in")
    ids = [workspace.public_id]
    posts = {
        "connect": reverse("integrations_connect", args=[*ids, "calendly"]),
        "test connection": reverse("integrations_check", args=[*ids, "calendly"]),
        "OAuth": reverse("calendly_oauth_start", args=ids),
        "repair": reverse("calendly_repair_subscription", args=ids),
        "disable": reverse("calendly_disable", args=ids),
    }
    data = {"access_token": "someone-elses-token", "event_type_link": ""}

    answers = {name: post_as_page(page, url, data) for name, url in posts.items()}

    assert {name: answer.status for name, answer in answers.items()} == dict.fromkeys(posts, 403)
    # Refused for the role, not for a missing CSRF token (the page for that says the form expired).
    assert all("not for your role" in answer.text() for answer in answers.values())
    assert calendly_account.is_connected(workspace)
    assert [s["state"] for s in our_subscriptions(calendly_connected, workspace)] == ["active"]


# Helpers


def submit(button) -> None:
    """Click a form's button and wait for the page the POST answers with (often the same URL,
    so waiting for the URL would not tell the old page from the new one)."""
    with button.page.expect_navigation():
        button.click()


def tab_url(workspace) -> str:
    return reverse("integrations_tab", kwargs={"workspace_id": workspace.public_id})


def calendly_card(page):
    return page.locator("#provider-calendly")


def current_event_type(card):
    return card.locator("#calendly-current-event-type")


def flash(page):
    return page.locator("ul.messages")


def stored_event_type(workspace) -> str:
    return calendly_account.chosen_event_type(workspace)


def our_subscriptions(sandbox, workspace) -> list[dict]:
    url = calendly_account.webhook_url(workspace)
    return [s for s in sandbox.subscriptions() if s["callback_url"] == url]


def choose_booking_provider(page, label: str) -> None:
    booking = page.locator("#booking-settings")
    booking.get_by_label("Booking provider").select_option(label=label)
    submit(booking.get_by_role("button", name="Save"))


def audit_row(page, detail: str):
    audit = page.get_by_role("region", name="Audit log")
    return (
        audit.get_by_role("row")
        .filter(has_text="switched the booking provider")
        .filter(has_text=detail)
    )


def post_signed(live_server, workspace, body: bytes) -> httpx.Response:
    """POST to our webhook URL as Calendly would, signed with the workspace's key."""
    url = live_server.url + reverse(
        "calendly_webhook", kwargs={"workspace_id": workspace.public_id}
    )
    signature = sign(body, calendly_account.signing_key(workspace), int(time.time()))
    headers = {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}
    return httpx.post(url, content=body, headers=headers, timeout=10)


def post_as_page(page, url: str, data: dict):
    """A form POST with the page's session and CSRF token, as a hand-made form would send."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(url, form=data, headers={"X-CSRFToken": token}, max_redirects=0)
