"""The deliveries table as an admin uses it: each delivery tied to its lead and meeting, the
payload on demand without a secret or a signature, a filter by state, and a live refresh that
redraws nothing when nothing changed."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import WebhookDelivery
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
INVITEE = "https://api.calendly.com/scheduled_events/EV1/invitees/INV1"


def deliver(workspace, *, state="processed", body=None, headers=None, key="k1", ago=0):
    delivery = WebhookDelivery.objects.create(
        workspace=workspace,
        provider="calendly",
        dedupe_key=key,
        event="invitee.created",
        body=json.dumps(body or {"payload": {"uri": INVITEE}}).encode(),
        headers=headers or {},
        state=state,
    )
    if ago:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            received_at=timezone.now() - dt.timedelta(seconds=ago)
        )
    return delivery


def tab(workspace, **query):
    url = reverse("integrations_tab", args=[workspace.public_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_a_delivery_links_to_its_lead_and_meeting(admin_client, workspace, lead):
    appointment = AppointmentFactory(lead=lead, provider="calendly", external_id=INVITEE)
    deliver(workspace)

    html = admin_client.get(tab(workspace)).content.decode()

    lead_page = reverse("lead_detail", args=[workspace.public_id, lead.pk])
    assert f'href="{lead_page}"' in html and lead.display_name in html
    assert f'href="{lead_page}#appointment-{appointment.pk}"' in html


def test_the_payload_hides_secrets_and_signatures(admin_client, workspace):
    delivery = deliver(
        workspace,
        body={"payload": {"uri": INVITEE, "access_token": "tok-SECRET"}, "signing_key": "k-SECRET"},
        headers={"Calendly-Webhook-Signature": "t=1,v1=SIG-SECRET", "Content-Type": "json"},
    )
    url = reverse("integrations_delivery_payload", args=[workspace.public_id, delivery.pk])

    for partial in ("true", "false"):
        html = admin_client.get(url, HTTP_HX_REQUEST=partial).content.decode()
        assert INVITEE in html
        assert "SECRET" not in html
        assert html.count("•••• hidden") == 3


def test_the_table_filters_by_state(admin_client, workspace):
    deliver(workspace, state="processed", key="ok")
    failed = deliver(workspace, state="failed", key="bad")

    html = admin_client.get(tab(workspace, state="failed")).content.decode()

    assert html.count('id="delivery-') == 1 and f'id="delivery-{failed.pk}"' in html
    assert 'aria-current="page">Failed' in html


def test_a_poll_redraws_only_when_something_is_new_or_in_progress(admin_client, workspace):
    newest = deliver(workspace, state="processed")
    url = reverse("integrations_deliveries", args=[workspace.public_id])

    assert admin_client.get(url, {"since": newest.pk}).status_code == 204

    arrived = deliver(workspace, state="received", key="k2")
    response = admin_client.get(url, {"since": newest.pk})
    assert (
        response.status_code == 200 and f'id="delivery-{arrived.pk}"' in response.content.decode()
    )
    assert 'hx-trigger="every 2s"' in response.content.decode()  # in progress: poll faster
    assert "since=" not in response.content.decode()  # and redraw until it settles


def test_a_delivery_no_worker_took_says_so(admin_client, workspace):
    deliver(workspace, state="received", ago=120)

    assert "Waiting for a worker" in admin_client.get(tab(workspace)).content.decode()
