"""Signed deliveries whose content our database can't hold (a lone surrogate, a NUL), nested a
thousand levels deep, or dated at the calendar's edge, against every webhook endpoint
(tests.support.webhooks.ENDPOINTS): never a 5xx, never an answer that makes the provider retry
for ever, never lost (kept as ``failed`` with its raw bytes, replayable)."""

import json

import pytest
from django.test import Client

from integrations import inbox
from integrations.models import WebhookDelivery
from tests.support.webhooks import ENDPOINTS

pytestmark = pytest.mark.django_db

HOSTILE = {"surrogate": "\ud800", "nul": "id\u0000x"}


@pytest.fixture(params=ENDPOINTS, ids=lambda e: e.name)
def door(request, workspace, settings):
    return request.param.open(workspace=workspace, settings=settings)


def string_paths(value, prefix=(), depth=0):
    """Every path to a text value, two levels deep (ids, types and event names live there)."""
    if isinstance(value, dict) and depth <= 2:
        for key, inner in value.items():
            if isinstance(inner, str):
                yield (*prefix, key)
            else:
                yield from string_paths(inner, (*prefix, key), depth + 1)


def replaced(data, path, text):
    copy = json.loads(json.dumps(data))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = text
    return json.dumps(copy).encode()  # a lone surrogate goes as the escape "\ud800"


def post(door, body, signer):
    return Client().post(door.url, data=body, content_type="application/json", headers=signer(body))


def assert_kept_and_answered(door, body, response):
    assert response.status_code < 500
    assert response.status_code not in door.endpoint.retry_statuses
    stored = [bytes(d.body) for d in WebhookDelivery.objects.all()]
    assert body in stored or response.json()["detail"] == "duplicate"


@pytest.mark.parametrize("kind", HOSTILE)
def test_unstorable_text_in_any_field_is_kept_as_failed_and_answered(door, kind):
    for sample, signer in door.samples:
        data = json.loads(sample)
        for path in string_paths(data):
            body = replaced(data, path, HOSTILE[kind])

            response = post(door, body, signer)

            assert_kept_and_answered(door, body, response), path


# The field each endpoint's first sample is deduplicated on.
KEY_FIELD = {"ghl": ("message_id",), "calendly": ("event",)}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_delivery_keyed_on_unstorable_text_is_failed_and_replayable(door, kind):
    sample, signer = door.samples[0]
    body = replaced(json.loads(sample), KEY_FIELD[door.provider], HOSTILE[kind])

    response = post(door, body, signer)
    again = post(door, body, signer)

    assert (response.status_code, again.status_code) == (200, 200)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed" and delivery.raw_body == body
    assert "replayable" in delivery.last_error
    assert inbox.replay_delivery(delivery_id=delivery.pk)


def test_a_deeply_nested_signed_body_is_a_400(door):
    signer = door.signers[0]
    body = b'{"a":' * 990 + b"1" + b"}" * 990

    response = post(door, body, signer)

    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]
    assert WebhookDelivery.objects.filter(body=body, state="failed").exists()


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00"])
def test_a_time_at_the_calendars_edge_is_refused_not_booked(door, moment):
    for sample, signer in door.samples:
        data = json.loads(sample)
        for path in string_paths(data):
            if not path[-1].lower().endswith(("time", "start", "at")):
                continue
            body = replaced(data, path, moment)

            response = post(door, body, signer)

            assert_kept_and_answered(door, body, response)
    assert door.effects() == 0
