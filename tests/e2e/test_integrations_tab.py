"""The Integrations tab in a real browser, for the parts that need no Calendly: an admin opens
it, a setter cannot, an admin replays a failed delivery, and auto-booking is refused inline
while no provider is connected."""

import httpx
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ghl import connection as ghl_connection
from integrations import connections
from integrations.models import WebhookDelivery

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def tab_url(workspace) -> str:
    return reverse("integrations_tab", kwargs={"workspace_id": workspace.public_id})


def test_an_admin_logs_in_and_opens_the_integrations_tab(page, step, log_in, admin, workspace):
    log_in(page, admin)
    step("logged in")

    page.get_by_role("navigation", name="Workspace").get_by_role(
        "link", name="Integrations"
    ).click()
    step("integrations tab")

    expect(page.get_by_role("heading", name="Integrations", level=1)).to_be_visible()
    expect(page.locator("#provider-ghl")).to_contain_text("GoHighLevel")
    expect(page.get_by_role("heading", name="Latest webhook deliveries")).to_be_visible()


def test_a_setter_has_no_integrations_link_and_is_refused_the_tab(
    page, step, log_in, setter, workspace
):
    log_in(page, setter)
    step("logged in")

    nav = page.get_by_role("navigation", name="Workspace")
    expect(nav.get_by_role("link", name="Leads")).to_be_visible()
    expect(nav.get_by_role("link", name="Integrations")).to_have_count(0)

    response = page.goto(tab_url(workspace))
    step("the tab's address typed in")
    assert response.status == 403


def test_an_admin_replays_a_failed_delivery_and_sees_it_queued(
    page, step, log_in, admin, workspace, live_server, celery_broker
):
    failed = failed_ghl_delivery(workspace, live_server)
    log_in(page, admin)
    page.goto(tab_url(workspace))
    row = page.locator(f"#delivery-{failed.pk}")
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text("body is not JSON")
    step("the failed delivery")

    row.get_by_role("button", name="Replay").click()

    # Swapped in place (htmx): queued for a worker, and no second replay offered.
    expect(row).to_contain_text("Received")
    expect(row.get_by_role("button", name="Replay")).to_have_count(0)
    step("replayed")
    assert WebhookDelivery.objects.get(pk=failed.pk).state == "received"


def test_auto_booking_is_refused_inline_while_no_provider_is_connected(
    page, step, log_in, admin, workspace
):
    log_in(page, admin)
    page.goto(tab_url(workspace))
    settings_card = page.locator("#booking-settings")
    step("the booking settings")

    settings_card.get_by_role("button", name="Turn auto-booking on").click()

    expect(settings_card).to_contain_text(
        "Connect a booking provider and choose it before turning auto-booking on."
    )
    expect(settings_card).to_contain_text("Auto-booking is off")
    step("refused")
    workspace.refresh_from_db()
    assert workspace.auto_book_enabled is False


def failed_ghl_delivery(workspace, live_server) -> WebhookDelivery:
    """A failed delivery made for real: GHL's workflow webhook, with the workspace's secret, and
    a body that is not JSON (stored as failed so nothing is lost)."""
    connections.connect(
        workspace=workspace,
        provider="ghl",
        secrets={"access_token": "pit-e2e-token-0000"},
        config={"location_id": "loc-e2e", "calendar_id": "cal-e2e", "calendar_name": "Intro"},
        display_name="E2E location",
        token_hint="0000",
    )
    secret = ghl_connection.new_workflow_secret(workspace=workspace)
    url = live_server.url + reverse("ghl_webhook", kwargs={"workspace_id": workspace.public_id})
    response = httpx.post(
        url,
        content=b"contact_id=abc&message=not json",
        headers={"X-Webhook-Secret": secret, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    return WebhookDelivery.objects.get(workspace=workspace, state="failed")
