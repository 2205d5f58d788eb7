"""Hypothesis against every webhook endpoint (``tests.support.webhooks.ENDPOINTS``).

Whatever arrives, the answer is never a 5xx. A request that fails verification is refused with
a 4xx and a short reason, leaves no delivery row, and is only counted on the connection. A
verified request is stored (2xx), or refused as unreadable (4xx) and recorded, so nothing
verified is lost.
"""

import copy
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import WebhookDelivery
from tests.support.webhooks import ENDPOINTS, header_text

pytestmark = pytest.mark.django_db

EXAMPLES = 60  # per test and endpoint: a few seconds each
SHORT = 1000  # bytes: "a short reason", not a page

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


def _paths(value, prefix=()):
    """Every key path into a JSON object (to a value or a nested object)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))


@st.composite
def edited(draw, sample: dict):
    """The sample with up to three keys, at any depth, dropped or given any other JSON value
    (with none, the sample as sent)."""
    value = copy.deepcopy(sample)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        paths = list(_paths(value))
        if not paths:
            break
        *parents, key = draw(st.sampled_from(paths))
        target = value
        for parent in parents:
            target = target[parent]
        if draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(json_values)
    return value


def bodies(door):
    """Any bytes, any JSON, and the provider's own kinds of body slightly edited."""
    return st.one_of(
        st.binary(max_size=600),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.sampled_from(door.samples).flatmap(lambda sample: _edited_bytes(sample[0])),
    )


def signed_bodies(door):
    """(body, signer): mostly a body of a kind the provider sends, edited and signed the way
    that kind is; otherwise any body under any of the provider's signatures."""
    edited_samples = st.sampled_from(door.samples).flatmap(
        lambda sample: st.tuples(_edited_bytes(sample[0]), st.just(sample[1]))
    )
    anything = st.tuples(bodies(door), st.sampled_from(door.signers))
    return st.one_of(edited_samples, edited_samples, anything)


def _edited_bytes(raw: bytes):
    return edited(json.loads(raw)).map(lambda value: json.dumps(value).encode())


content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "",
    ]
)
other_headers = st.dictionaries(
    st.sampled_from(["User-Agent", "X-Forwarded-For", "Content-Encoding", "X-Request-Id"]),
    header_text,
    max_size=3,
)

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(params=ENDPOINTS, ids=lambda e: e.name)
def door(request, workspace, settings):
    return request.param.open(workspace=workspace, settings=settings)


def send(url: str, body: bytes, content_type: str, headers: dict):
    return Client().post(url, data=body, content_type=content_type, headers=headers)


def rows() -> set[int]:
    return set(WebhookDelivery.objects.values_list("pk", flat=True))


def assert_short_reason(response):
    assert response.content and len(response.content) < SHORT


def test_a_forged_request_is_refused_stores_nothing_and_is_only_counted(door):
    @fuzz
    @given(
        body=bodies(door), forgery=door.forgeries, content_type=content_types, extra=other_headers
    )
    def knock(body, forgery, content_type, extra):
        before, refused = rows(), door.refusals()

        response = send(door.url, body, content_type, {**extra, **forgery.headers_for(body)})

        assert 400 <= response.status_code < 500, forgery
        assert_short_reason(response)
        assert rows() == before, forgery
        counted = door.refusals() - refused
        assert counted == (1 if response.status_code in (401, 403) else 0), forgery

    knock()


def test_a_verified_request_with_any_body_is_stored_or_refused_and_recorded(door):
    @fuzz
    @given(signed=signed_bodies(door), content_type=content_types, extra=other_headers)
    def knock(signed, content_type, extra):
        body, sign = signed
        before = rows()

        response = send(door.url, body, content_type, {**extra, **sign(body)})

        status = response.status_code
        assert status < 500
        added = WebhookDelivery.objects.exclude(pk__in=before)
        assert added.count() <= 1
        if 200 <= status < 300:
            # Stored now, or already stored under the same dedupe key (a replay).
            assert all(row.raw_body == body for row in added)
            return
        assert_short_reason(response)
        if body and status == 400:
            recorded = WebhookDelivery.objects.filter(workspace=door.workspace, state="failed")
            assert any(row.raw_body == body for row in recorded)
        else:
            assert not added.exists()

    knock()


def test_any_request_to_an_unknown_workspace_is_404_and_stores_nothing(door):
    @fuzz
    @given(workspace_id=st.uuids(), body=bodies(door), sign=st.sampled_from(door.signers))
    def knock(workspace_id, body, sign):
        url = door.url.replace(str(door.workspace.public_id), str(workspace_id))
        before = rows()

        response = send(url, body, "application/json", sign(body))

        assert (response.status_code, rows()) == (404, before)

    knock()
