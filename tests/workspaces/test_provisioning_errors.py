"""Every way the admin API refuses a request: a 4xx with a short reason, never a 500."""

import io
import json
import uuid

import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from tests.workspaces.conftest import WORKSPACES_URL, workspace_url
from workspaces.api.errors import PayloadTooLarge
from workspaces.api.parsers import LimitedJSONParser
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

VALID = {"name": "Acme", "timezone": "UTC", "external_id": "crm-1"}


def call(method, url, *, auth=None, **kwargs):
    client = APIClient()
    if auth is not None:
        client.credentials(HTTP_AUTHORIZATION=auth)
    return getattr(client, method)(url, **kwargs)


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "",
        "Api-Key ",
        "Api-Key nope.nope",
        "Api-Key " + "x" * 500,
        "Bearer abc.def",
        "abc.def",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_missing_or_bad_key_is_401_with_a_challenge(db, auth, method):
    response = call(method, WORKSPACES_URL, auth=auth, data=VALID, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Api-Key")
    assert response.json()["detail"]
    assert not Workspace.objects.exists()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_detail_without_a_key_is_401_even_for_a_real_workspace(workspace, method):
    response = call(method, workspace_url(workspace.public_id), data={}, format="json")

    assert response.status_code == 401
    workspace.refresh_from_db()
    assert workspace.is_active


def test_a_revoked_key_is_401(db):
    api_key, key = APIKey.objects.create_key(name="old")
    api_key.revoked = True
    api_key.save()

    assert call("get", WORKSPACES_URL, auth=f"Api-Key {key}").status_code == 401


def test_an_expired_key_is_401(db):
    _, key = APIKey.objects.create_key(name="old", expiry_date="2000-01-01T00:00Z")

    assert call("get", WORKSPACES_URL, auth=f"Api-Key {key}").status_code == 401


def test_another_keys_secret_with_a_real_prefix_is_401(api_key):
    prefix = api_key.split(".")[0]

    assert call("get", WORKSPACES_URL, auth=f"Api-Key {prefix}.wrong").status_code == 401


def test_the_keyword_is_case_insensitive(api_key):
    assert call("get", WORKSPACES_URL, auth=f"api-key {api_key}").status_code == 200


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({**VALID, "setters": ["not-an-email"]}, "setters", "not a valid e-mail"),
        ({**VALID, "admins": ["a@b.example", "bad@"]}, "admins", "not a valid e-mail"),
        ({**VALID, "timezone": "Mars/Olympus_Mons"}, "timezone", "not a known IANA time zone"),
        ({**VALID, "booking_provider": "acuity"}, "booking_provider", "not a valid choice"),
        ({**VALID, "name": 12}, "name", "Not a valid string"),
        ({**VALID, "name": ""}, "name", "may not be blank"),
        ({**VALID, "name": "x" * 201}, "name", "no more than 200"),
        ({**VALID, "name": "bad\x00name"}, "name", "Null characters"),
        ({**VALID, "auto_book_enabled": "yes"}, "auto_book_enabled", "true or false"),
        ({**VALID, "auto_book_enabled": 1}, "auto_book_enabled", "true or false"),
        ({**VALID, "setters": "sam@acme.example"}, "setters", "Expected a list"),
        ({**VALID, "setters": [None]}, "setters", "may not be null"),
        ({**VALID, "setters": [{"email": "a@b.co"}]}, "setters", "Not a valid string"),
        ({**VALID, "setters": ["a" * 141 + "@b.example"]}, "setters", "no more than 150"),
        ({**VALID, "external_id": 7}, "external_id", "Not a valid string"),
        ({**VALID, "external_id": ""}, "external_id", "may not be blank"),
        ({**VALID, "owner": "x"}, "owner", "Unknown field"),
        ({**VALID, "id": str(uuid.uuid4())}, "id", "Unknown field"),
        ({**VALID, "is_active": False}, "is_active", "Unknown field"),
        ({"timezone": "UTC"}, "name", "required"),
        ({"name": "Acme"}, "timezone", "required"),
    ],
)
def test_bad_input_is_400_with_a_message_for_the_field(api, payload, field, message):
    response = api.post(payload)

    assert response.status_code == 400
    assert message in json.dumps(response.json(), ensure_ascii=False)
    assert field in response.json()
    assert not Workspace.objects.exists()


def test_unknown_fields_are_reported_with_the_other_errors(api):
    response = api.post({"name": 3, "timezone": "UTC", "colour": "red", "size": 1})

    assert set(response.json()) == {"name", "colour", "size"}


def test_an_invalid_member_list_changes_nothing_at_all(api):
    api.post({**VALID, "setters": ["sam@acme.example"]})

    response = api.post({**VALID, "name": "Renamed", "setters": ["kim@acme.example", "nope"]})

    assert response.status_code == 400
    workspace = Workspace.objects.get()
    assert workspace.name == "Acme"
    assert list(workspace.memberships.values_list("user__email", flat=True)) == ["sam@acme.example"]


@pytest.mark.parametrize("body", [b"{", b"", b"[]", b'"text"', b"null", b"NaN", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(api, body):
    response = api.client.post(WORKSPACES_URL, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "\\ud800", "timezone": "UTC"}',
        b'{"name": "A", "timezone": "UTC", "booking_provider": "\\udfff"}',
        b'{"name": "A", "timezone": "UTC", "\\ud800": 1}',
    ],
)
def test_an_unpaired_surrogate_anywhere_is_400(api, body):
    response = api.client.post(WORKSPACES_URL, data=body, content_type="application/json")

    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]


def test_a_form_encoded_body_is_415(api):
    response = api.client.post(WORKSPACES_URL, data="name=x", content_type="text/plain")

    assert response.status_code == 415


def test_patch_with_bad_input_is_400(api, workspace):
    response = api.patch(workspace.public_id, {"timezone": "Nowhere/City", "is_active": "no"})

    assert response.status_code == 400
    assert set(response.json()) == {"timezone", "is_active"}


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_id_is_404(api, method):
    response = getattr(api, method)(*([uuid.uuid4()] + ([{}] if method == "patch" else [])))

    assert response.status_code == 404
    assert response.json()["detail"]


def test_an_id_that_is_not_a_uuid_is_404(api):
    assert api.client.get(f"{WORKSPACES_URL}/123").status_code == 404


def test_a_null_character_in_the_external_id_filter_is_400(api):
    response = api.list(external_id="a\x00b")

    assert response.status_code == 400
    assert "external_id" in response.json()


def test_a_bad_page_is_404_not_500(api):
    assert api.list(page="abc").status_code == 404
    assert api.list(page=99).status_code == 404
    assert api.list(page_size="lots").status_code == 200


def test_a_body_over_one_mib_is_413(api, settings):
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    body = json.dumps({**VALID, "name": padding})

    response = api.client.post(WORKSPACES_URL, data=body, content_type="application/json")

    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert not Workspace.objects.exists()


def test_the_parser_never_reads_past_the_limit_whatever_the_stream(settings):
    # A server that hands over an unbounded stream (no Content-Length) still gets a 413.
    stream = io.BytesIO(b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b"{}")

    with pytest.raises(PayloadTooLarge):
        LimitedJSONParser().parse(stream, "application/json", {})
    assert stream.tell() == settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1


def test_a_large_body_under_the_limit_is_parsed(api):
    setters = [f"person{n}@acme.example" for n in range(10)]
    body = json.dumps({**VALID, "setters": setters, "name": "A" * 200})

    response = api.client.post(WORKSPACES_URL, data=body, content_type="application/json")

    assert response.status_code == 201
