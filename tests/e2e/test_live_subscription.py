"""The Calendly card follows its webhook subscription while the page stays open: "being set
up" turns "active" by itself when the set-up runs, and a set-up no worker took says so."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from calendly import subscriptions
from calendly.models import Subscription
from tests.e2e.test_calendly_card import calendly_connected, sandbox  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("calendly_connected")
def test_the_subscription_goes_from_being_set_up_to_active_without_reloading(
    page,
    step,
    log_in,
    admin,
    workspace,
):
    # As right after connecting, before the set-up task ran: nothing made at Calendly yet.
    subscriptions.remove(workspace=workspace)
    Subscription.objects.filter(workspace=workspace).update(state="pending", uri="")
    log_in(page, admin)
    page.goto(reverse("integrations_tab", args=[workspace.public_id]))
    section = page.locator("#calendly-subscription")
    expect(section.locator("#calendly-subscription-state")).to_have_text("being set up")
    expect(section).to_contain_text("this updates by itself")
    step("being set up")

    subscriptions.ensure(workspace=workspace)  # what the worker's task does

    expect(section.locator("#calendly-subscription-state")).to_have_text("active", timeout=6_000)
    expect(section).not_to_contain_text("this updates by itself")
    step("active, without a reload")


@pytest.mark.usefixtures("calendly_connected")
def test_a_set_up_no_worker_took_says_it_waits_for_a_worker(
    page,
    log_in,
    admin,
    workspace,
):
    Subscription.objects.filter(workspace=workspace).update(
        state="pending", updated_at=timezone.now() - dt.timedelta(minutes=2)
    )
    log_in(page, admin)
    page.goto(reverse("integrations_tab", args=[workspace.public_id]))

    expect(page.locator("#calendly-subscription")).to_contain_text("Waiting for a worker")
