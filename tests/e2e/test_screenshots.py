"""The README's pictures of the product, taken from a seeded workspace in the real browser:
the Integrations tab, the Calendly card, a lead page and the week view (and the week on a phone).

`make screenshots` runs this with SCREENSHOTS_DIR=docs/screenshots to regenerate them; in the
suite the pictures go to a temporary folder and the test checks each one was drawn."""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from tests.e2e.pages import WIDTHS, seed
from tests.e2e.test_calendly_card import calendly_connected, sandbox  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.usefixtures("calendly_connected")
def test_the_readme_screenshots_are_drawn(
    page,
    log_in,
    admin,
    workspace,
    tmp_path,
):
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    lead = seed(workspace)
    w = workspace.public_id
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, admin)

    page.goto(reverse("integrations_tab", args=[w]))
    page.screenshot(path=folder / "integrations-tab.png", full_page=True)
    page.locator("#provider-calendly").screenshot(path=folder / "calendly-card.png")
    page.goto(reverse("lead_detail", args=[w, lead.pk]))
    page.screenshot(path=folder / "lead-page.png", full_page=True)
    page.goto(reverse("appointment_week", args=[w]))
    page.screenshot(path=folder / "week-view.png", full_page=True)
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["phone"], strict=True)))
    page.reload()
    page.screenshot(path=folder / "week-view-phone.png", full_page=True)

    names = ["integrations-tab", "calendly-card", "lead-page", "week-view", "week-view-phone"]
    for name in names:
        assert (folder / f"{name}.png").read_bytes().startswith(PNG), name
