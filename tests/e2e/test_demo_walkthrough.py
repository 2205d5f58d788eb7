"""The README's demo walkthrough, clicked through in a browser against `make demo`'s own
processes on SQLite: the web server, the embedded Celery worker and beat, and the Calendly
sandbox (tests/embedded/stack.py starts `make demo` itself). Connect Calendly, choose the event
type, switch the booking provider, auto-book a lead's reply, book a second lead on the sandbox's
booking page, cancel that booking from the invitee's page, and see every change on the
appointments page. A screenshot of each step is kept in tests/e2e/artifacts/demo-walkthrough/.
"""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, TIMEOUT_MS
from tests.embedded.stack import SANDBOX_TOKEN, DemoStack

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "demo-walkthrough"
WORKER_MS = 60_000  # what a worker does (subscription, auto-booking, webhooks) may take a while


@pytest.fixture
def demo(tmp_path):
    with DemoStack(tmp_path) as stack:
        yield stack


@pytest.fixture
def tab(browser, demo):
    context = browser.new_context(base_url=demo.base_url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot(tab):
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    taken = []

    def shot(name: str) -> None:
        taken.append(name)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        tab.screenshot(path=SHOTS / f"{len(taken):02d}-{slug}.png", full_page=True)

    return shot


def reload_until(page, locator, text: str, timeout_ms: int = WORKER_MS) -> None:
    """Reload until what the worker did shows (the pages don't poll by themselves)."""
    deadline = timeout_ms / 1000
    waited = 0.0
    while waited < deadline:
        if text in (locator.text_content(timeout=TIMEOUT_MS) or ""):
            return
        page.wait_for_timeout(1000)
        waited += 1
        page.reload()
    expect(locator).to_contain_text(text, timeout=1)


def test_the_readme_walkthrough_on_make_demo(demo, tab, shot):
    workspace = f"/w/{demo.workspace_id}"
    # 1. Log in.
    tab.goto("/login/")
    tab.get_by_label("E-mail").fill("admin@demo.local")
    tab.get_by_label("Password").fill("demo-password-123")
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(lambda url: "/login/" not in url)
    tab.goto(f"{workspace}/integrations/")
    expect(tab.locator("#calendly-booking-now")).to_contain_text("GoHighLevel")
    shot("integrations before connecting")

    # 2. Connect Calendly with the sandbox's token, book with it, choose the event type.
    card = tab.locator("#calendly-connect")
    card.get_by_label("Personal access token").fill(SANDBOX_TOKEN)
    expect(card.locator("#calendly-make-booking-provider")).to_be_checked()
    card.get_by_role("button", name="Connect").click()
    choice = tab.locator("#calendly-event-type option", has_text="Discovery Call")
    tab.get_by_label("Event type", exact=True).select_option(choice.get_attribute("value"))
    shot("calendly connected, choosing the event type")
    tab.get_by_role("button", name="Save event type").click()
    expect(tab.locator("#calendly-current-event-type")).to_contain_text("Discovery Call")
    expect(tab.locator("#calendly-booking-now")).to_contain_text(
        "Calendly is this workspace's booking provider."
    )
    reload_until(tab, tab.locator("#calendly-subscription-state"), "active")
    shot("calendly books, subscription active")

    # 3. Auto-booking on; an offer to Sam Rivera.
    tab.get_by_role("button", name="Turn auto-booking on").click()
    expect(tab.locator("#auto-book")).to_contain_text("Auto-booking is on")
    tab.goto(f"{workspace}/leads/")
    tab.get_by_role("link", name="Sam Rivera").click()
    tab.get_by_role("button", name="Make an offer").click()
    expect(tab.get_by_role("button", name="Book this time")).to_have_count(3)
    shot("an offer to Sam")

    # 4. Sam answers "Option 2 works for me" (logged on the lead page); the worker books it.
    tab.locator("summary", has_text="Log a reply").click()
    tab.get_by_label("What the lead said").fill("Option 2 works for me")
    tab.get_by_role("button", name="Log reply").click()
    expect(tab.locator("main")).to_contain_text("Reply logged")
    reload_until(tab, tab.locator("main"), "Booked at Calendly.")
    expect(tab.locator("main")).to_contain_text("Option 2 works for me")
    shot("Sam auto-booked")

    # 5. Alex Kim books on the sandbox's booking page, then cancels from the invitee's page.
    tab.goto(f"{demo.sandbox_url}/casey-closer/discovery-call")
    tab.locator("input[name=start_time]").first.check()
    tab.get_by_label("Name").fill("Alex Kim")
    tab.get_by_label("Email").fill("alex.kim@example.com")
    shot("Alex on the booking page")
    tab.get_by_role("button", name="Schedule Event").click()
    cancel_url = tab.get_by_role("link", name="Cancel this event").get_attribute("href")
    shot("Alex booked")

    appointments = tab.locator("main table")
    tab.goto(f"{demo.base_url}{workspace}/appointments/")
    reload_until(tab, appointments, "Alex Kim")
    expect(row(tab, "Sam Rivera")).to_contain_text("Booked")
    expect(row(tab, "Alex Kim")).to_contain_text("Booked")
    shot("appointments: Sam and Alex booked")

    tab.goto(cancel_url)
    tab.get_by_role("button", name="Cancel Event").click()
    expect(tab.locator("h1")).to_contain_text("Cancellation confirmed")
    shot("Alex canceled on the invitee's page")

    tab.goto(f"{demo.base_url}{workspace}/appointments/")
    reload_until(tab, row(tab, "Alex Kim"), "Canceled")
    expect(row(tab, "Sam Rivera")).to_contain_text("Booked")
    shot("appointments: Alex canceled")

    # Every change arrived once, through the worker, with nothing left for a setter.
    held = demo.query(
        "from booking.models import Appointment\n"
        "from integrations.models import WebhookDelivery\n"
        "result = {'appointments': sorted([a.lead.first_name, a.status, a.source] for a in "
        "Appointment.objects.filter(provider='calendly')), 'pending': WebhookDelivery.objects"
        ".exclude(state__in=['processed', 'ignored']).count()}"
    )
    assert held == {
        "appointments": [["Alex", "canceled", "webhook"], ["Sam", "booked", "auto_book"]],
        "pending": 0,
    }


def row(page, lead_name: str):
    return page.locator("main table tbody tr", has_text=lead_name)
