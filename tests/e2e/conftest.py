"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's
``live_server`` (a thread of this test process, so settings and the Celery app it sees are
this process's).

Fixtures: ``browser`` (one Chromium for the package), ``page`` (a fresh context per test),
``step(name)`` (a screenshot of the page as it is now, kept in memory), ``log_in(page, user)``
through the real login form, and ``admin``/``setter`` (members of ``workspace`` who can log in
with ``PASSWORD``). When a test fails, its steps' screenshots and one of the final page are
written to ``tests/e2e/artifacts/<test name>/`` (ignored by git).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.factories import MembershipFactory, UserFactory
from tests.support.fixtures import celery_broker, redis_server  # noqa: F401

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
TIMEOUT_MS = 10_000  # any single wait; a healthy page answers in well under a second
NOWHERE = "http://127.0.0.1:9"  # provider APIs: refused at once, never reached


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        item.e2e_failed = True


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: run `make browser` (apt-get install chromium)")
    # Playwright's sync API keeps an event loop running in this thread while it is started, and
    # Django refuses ORM calls from such a thread unless told they are safe. They are: nothing
    # else runs on that loop. The loop (and the permission) end with this package's tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _providers_out_of_reach(settings):
    settings.GHL_API_BASE = NOWHERE
    settings.CALENDLY_API_BASE = NOWHERE


class Steps:
    """Screenshots of the steps of one test, written out only if it fails."""

    def __init__(self, page):
        self.page = page
        self.shots: list[tuple[str, bytes]] = []

    def __call__(self, name: str) -> None:
        self.shots.append((name, self.page.screenshot(full_page=True)))

    def write(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shots = [*self.shots, ("failed here", _final_screenshot(self.page))]
        for number, (name, png) in enumerate(shots, start=1):
            if png:
                (folder / f"{number:02d}-{_slug(name)}.png").write_bytes(png)


def _final_screenshot(page) -> bytes:
    try:
        return page.screenshot(full_page=True)
    except Exception:  # the page may be gone with what failed; the steps still help
        return b""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "step"


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    request.node.e2e_steps = Steps(page)
    yield page
    if getattr(request.node, "e2e_failed", False):
        request.node.e2e_steps.write(ARTIFACTS / _slug(request.node.name))
    context.close()


@pytest.fixture
def step(page, request):
    return request.node.e2e_steps


@pytest.fixture
def log_in():
    def log_in(page, user, password: str = PASSWORD):
        page.goto("/login/")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)

    return log_in


@pytest.fixture
def admin(workspace):
    return MembershipFactory(workspace=workspace, role="admin", user=UserFactory()).user


@pytest.fixture
def setter(workspace):
    return MembershipFactory(workspace=workspace, role="setter", user=UserFactory()).user
