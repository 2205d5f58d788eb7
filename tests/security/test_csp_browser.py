"""Under the Content-Security-Policy, in a real browser: no violation on the pages or on
/api/docs/, and what inline handlers used to do still works (confirm before a destructive
form, the workspace switcher, htmx)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.factories import LeadFactory, MembershipFactory, WorkspaceFactory
from workspaces.models import Lead, Membership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"Chromium is not at {CHROMIUM}: run `make browser`"
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.violations = []
    page.on(
        "console",
        lambda msg: (
            page.violations.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    yield page
    context.close()


def log_in(page, user):
    page.goto("/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_the_pages_work_under_the_policy(page):
    workspace, other = WorkspaceFactory(name="Acme"), WorkspaceFactory(name="Bravo")
    admin = MembershipFactory(workspace=workspace, role=Membership.Role.ADMIN).user
    MembershipFactory(workspace=other, role=Membership.Role.ADMIN, user=admin)
    lead = LeadFactory(workspace=workspace)
    log_in(page, admin)

    # htmx: a state filter of the deliveries swaps in that list, without leaving the page.
    page.goto(f"/w/{workspace.public_id}/integrations/")
    filters = page.get_by_role("navigation", name="Deliveries by state")
    with page.expect_response(lambda r: "deliveries" in r.url and "state=failed" in r.url):
        filters.get_by_role("link", name="Failed").click()
    expect(page.locator("#deliveries")).to_contain_text("No failed deliveries")

    # data-confirm: declining sends nothing, accepting sends the form.
    page.goto(f"/w/{workspace.public_id}/leads/{lead.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Opt this lead out").click()
    page.wait_for_timeout(300)
    assert Lead.objects.get(pk=lead.pk).status != Lead.Status.OPTED_OUT
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Opt this lead out").click()
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OPTED_OUT

    # data-navigate: the workspace switcher goes to the chosen workspace.
    page.select_option("#ws-switch", label="Bravo")
    page.wait_for_url(f"**/w/{other.public_id}/**")

    assert page.violations == []


def test_api_docs_render_under_the_policy(page):
    page.goto("/api/docs/")
    page.wait_for_selector(".opblock", timeout=15_000)  # Swagger UI drew the operations

    assert page.violations == []
