"""Every page an admin, a setter and an inbox manager use, at 1280 px and at 390 px (a phone):
nothing scrolls sideways even with very long names and URLs, and axe-core finds no serious or
critical accessibility violation. Then the week view, the styled error pages with DEBUG off, and
the pages that refresh by themselves."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from integrations.models import WebhookDelivery
from tests.e2e.pages import WIDTHS, overflow, pages_for, seed, serious_violations
from tests.factories import AppointmentFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", ["admin", "setter", "inbox_manager"])
def test_every_page_fits_the_screen_and_passes_axe(page, step, log_in, workspace, role, width):
    lead = seed(workspace)
    user = MembershipFactory(workspace=workspace, role=role, user=UserFactory()).user
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page.goto("/login/")
    problems = {"login": overflow(page), "login axe": serious_violations(page)}
    log_in(page, user)

    for name, url in pages_for(role, workspace, lead).items():
        response = page.goto(url)
        assert response.status == 200, f"{name}: {response.status}"
        step(name)
        problems[name] = overflow(page)
        problems[f"{name} axe"] = serious_violations(page)

    assert {k: v for k, v in problems.items() if v} == {}


def test_the_week_view_marks_today_and_moves_between_weeks_by_keyboard(
    page, step, log_in, workspace, setter
):
    seed(workspace)
    log_in(page, setter)
    page.goto(reverse("appointment_week", args=[workspace.public_id]))
    today = page.locator(".day.today")
    expect(today).to_have_count(1)
    expect(page.locator(".week .slot.status-booked").first).to_be_visible()
    step("this week")
    monday = page.locator("input[name=week]").input_value()

    page.keyboard.press("ArrowRight")
    page.wait_for_url(lambda url: "week=" in url and monday not in url)
    expect(page.locator(".day.today")).to_have_count(0)
    step("next week")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"**week={monday}**")
    expect(page.locator(".day.today")).to_have_count(1)

    page.get_by_label("Status").select_option("canceled")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**status=canceled**")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(lambda url: "status=canceled" in url and monday not in url)
    step("filters kept while moving")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_403_and_404_are_styled_pages_with_the_navigation_with_debug_off(
    page, step, log_in, workspace, setter, settings, width
):
    settings.DEBUG = False
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    log_in(page, setter)

    for url, status, title in (
        (reverse("integrations_tab", args=[workspace.public_id]), 403, "not for your role"),
        ("/w/00000000-0000-0000-0000-000000000000/leads/", 404, "Nothing here"),
        ("/no/such/page/", 404, "Nothing here"),
    ):
        response = page.goto(url)
        assert response.status == status
        expect(page.get_by_role("heading", level=1)).to_contain_text(title)
        expect(page.get_by_role("banner").get_by_role("link", name="Setterdesk")).to_be_visible()
        expect(page.get_by_role("link", name="Back to your workspaces")).to_be_visible()
        # The stylesheet applied: the page's panel is drawn as a card.
        radius = page.locator(".error-page").evaluate("e => getComputedStyle(e).borderRadius")
        assert radius == "8px"
        assert overflow(page) == 0 and serious_violations(page) == []
        step(f"{status} {url}")

    page.get_by_role("link", name="Back to your workspaces").click()
    # Home: a member of one workspace lands on its appointments.
    expect(page.get_by_role("heading", name="Appointments", level=1)).to_be_visible()


def test_the_deliveries_table_shows_a_delivery_arriving_while_the_page_stays_open(
    page, step, log_in, workspace, admin
):
    log_in(page, admin)
    page.goto(reverse("integrations_tab", args=[workspace.public_id]))
    expect(page.locator("#deliveries")).to_contain_text("No webhooks received yet.")
    step("nothing yet")

    arrived = WebhookDelivery.objects.create(
        workspace=workspace,
        provider="calendly",
        dedupe_key="live-1",
        event="invitee.created",
        body=b"{}",
        state="received",
    )
    row = page.locator(f"#delivery-{arrived.pk}")
    expect(row).to_contain_text("Received", timeout=15_000)  # the settled poll is every 10 s
    step("arrived, in progress")

    WebhookDelivery.objects.filter(pk=arrived.pk).update(state="processed")
    expect(row).to_contain_text("Processed", timeout=5_000)  # in progress: every 2 s
    step("processed")


def test_the_appointments_list_shows_a_new_booking_without_reloading(
    page, step, log_in, workspace, setter
):
    lead = seed(workspace)
    log_in(page, setter)
    page.goto(reverse("appointment_list", args=[workspace.public_id]))
    step("before")

    AppointmentFactory(
        lead=lead, provider="ghl", start_at=timezone.now() + dt.timedelta(minutes=90)
    )
    expect(page.locator("#appointments-live tbody tr")).to_have_count(3, timeout=15_000)
    step("after")
