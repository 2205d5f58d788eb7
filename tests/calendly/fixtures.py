"""Pytest fixtures for Calendly, importable by any test package's conftest:

    from tests.calendly.fixtures import *  # noqa: F403

- ``calendly_sandbox``: a fresh sandbox (``SandboxDriver``) with ``CALENDLY_API_BASE`` and
  ``CALENDLY_AUTH_BASE`` pointed at it; webhooks go nowhere until ``calendly_receiver`` is used.
- ``calendly_receiver``: a local endpoint the sandbox delivers to (``PUBLIC_BASE_URL`` points
  at it); hand what it caught to the webhook view with ``helpers.feed(client, delivery)``.
- ``calendly_connected``: ``workspace`` connected to the sandbox with a personal access token
  and the Discovery Call event type, its webhook subscription made (signed with our key).
- ``calendly_stored``: ``workspace`` holding a real encrypted connection that matches the JSON
  fixtures in tests/fixtures/calendly/ (no sandbox): sign bodies with ``FIXTURE_SIGNING_KEY``.
"""

import pytest

from integrations import connections
from tests.calendly.helpers import DISCOVERY, Receiver, SandboxDriver

FIXTURE_API = "https://api.calendly.com"
FIXTURE_USER = f"{FIXTURE_API}/users/8f1e2d3c-aaaa-4bbb-8ccc-0d1e2f3a4b5c"
FIXTURE_ORG = f"{FIXTURE_API}/organizations/0a9b8c7d-1111-4222-8333-444455556666"
FIXTURE_EVENT_TYPE = f"{FIXTURE_API}/event_types/{DISCOVERY}"
FIXTURE_TOKEN = "eyJraWQiOiIxY2UxZTEzNjE3.fixture-personal-access-token-wxyz"
FIXTURE_SIGNING_KEY = "whsec-fixture-signing-key-0123456789abcdef"
NOWHERE = "http://127.0.0.1:9"  # the discard port: a delivery there is refused at once


@pytest.fixture
def calendly_sandbox(settings):
    sandbox = SandboxDriver.start()
    settings.CALENDLY_API_BASE = sandbox.base_url
    settings.CALENDLY_AUTH_BASE = sandbox.base_url
    settings.PUBLIC_BASE_URL = NOWHERE
    yield sandbox
    sandbox.stop()


@pytest.fixture
def calendly_receiver(settings, calendly_sandbox):
    receiver = Receiver()
    settings.PUBLIC_BASE_URL = receiver.base_url
    yield receiver
    receiver.stop()


@pytest.fixture
def calendly_connected(workspace, calendly_sandbox, calendly_receiver, on_commit):
    from calendly import connection

    with on_commit():
        connection.api_connect(
            workspace=workspace,
            data={
                "access_token": calendly_sandbox.token,
                "event_type": calendly_sandbox.event_type_uri(),
            },
        )
    return calendly_sandbox


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """``with on_commit(): ...`` runs what the block left for after commit (the subscription
    task, the inbox's processing) as it ends, as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def calendly_stored(workspace):
    return connections.connect(
        workspace=workspace,
        provider="calendly",
        secrets={"access_token": FIXTURE_TOKEN, "webhook_signing_key": FIXTURE_SIGNING_KEY},
        config={
            "auth": "token",
            "user_uri": FIXTURE_USER,
            "user_name": "Casey Closer",
            "user_email": "closer@agency.example",
            "organization_uri": FIXTURE_ORG,
            "scheduling_url": "https://calendly.com/casey-closer",
            "timezone": "America/New_York",
            "event_type_uri": FIXTURE_EVENT_TYPE,
            "event_type_name": "Discovery Call",
            "event_type_duration": 30,
            "event_type_url": "https://calendly.com/casey-closer/discovery-call",
            "required_questions": [],
        },
        display_name="Casey Closer (closer@agency.example)",
        token_hint=FIXTURE_TOKEN,
    )
