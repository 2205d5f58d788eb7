import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as cu
from rest_framework_api_key.models import APIKey


def _many_more(self) -> bool:
    """hypothesis-jsonschema's ``while elements.more():`` on top of many()'s newer iterator API
    (the same shim as tests/workspaces/test_api_schema.py)."""
    if self._depth is None:
        self.__enter__()
        self._compat_iterator = iter(self)
    try:
        next(self._compat_iterator)
    except StopIteration:
        self.__exit__(None)
        return False
    return True


@pytest.fixture
def api_key(db) -> str:
    _, key = APIKey.objects.create_key(name="abuse")
    return key


@pytest.fixture
def whole_api_schema(client, monkeypatch):
    """The whole served schema, called in-process through the real WSGI handler."""
    if not hasattr(cu.many, "more"):
        monkeypatch.setattr(cu.many, "more", _many_more, raising=False)
    schemathesis.openapi.format("uuid", st.uuids().map(str))
    raw = client.get("/api/schema/", {"format": "json"}).json()
    # The real WSGI handler closes the connection around each request, which would end the
    # test's transaction; Django's test client disconnects the same receiver while it runs.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield schemathesis.from_dict(raw, app=get_wsgi_application())
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)
