"""While a booking attempt is under way the lead page refreshes itself; once it settled, the
page stops asking."""

import pytest
from django.urls import reverse

from booking.models import BookingAttempt
from tests.factories import MembershipFactory

from .envs import calendar_not_involved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("followup_calls")]
LIVE = "A booking is under way: this page updates by itself."


@calendar_not_involved
def test_the_page_polls_only_while_an_attempt_is_in_flight(client, lead, offer):
    client.force_login(MembershipFactory(workspace=lead.workspace, role="setter").user)
    url = reverse("lead_detail", args=[lead.workspace.public_id, lead.pk])
    attempt = BookingAttempt.objects.create(
        workspace=lead.workspace,
        lead=lead,
        slot=offer.slots.first(),
        source="manual",
        provider="ghl",
        idempotency_key="live-page-1",
    )

    html = client.get(url).content.decode()
    assert LIVE in html and 'hx-trigger="every 2s"' in html

    BookingAttempt.objects.filter(pk=attempt.pk).update(state=BookingAttempt.State.FAILED)
    html = client.get(url).content.decode()
    assert LIVE not in html and 'hx-trigger="every 2s"' not in html
