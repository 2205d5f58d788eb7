"""Shared set-up for the GHL tests: a fake GHL API (respx) and a connected workspace."""

import httpx
import pytest
import respx

from ghl.connection import Account

BASE = "https://ghl.test"
TOKEN = "pit-7f3c9a1e-secret-token-value-abcd"
LOCATION = "ve9EPM428h8vShlRW1KT"
CALENDAR = "sV3BiXrjzbfo1tSUdyHO"
CONTACT = "9NkT25Vor1v4aQatFsv2"
APPOINTMENT = "ocQHyuzHvysMo5N5VsXc"


@pytest.fixture(autouse=True)
def _ghl_settings(settings):
    settings.GHL_API_BASE = BASE
    settings.GHL_API_VERSION_CALENDARS = "2021-04-15"
    settings.GHL_API_VERSION_CONTACTS = "2021-07-28"
    settings.PUBLIC_BASE_URL = "https://desk.example"


@pytest.fixture
def api():
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def account():
    return Account(
        token=TOKEN,
        location_id=LOCATION,
        calendar_id=CALENDAR,
        timezone="America/New_York",
        slot_minutes=30,
    )


def ghl_error(status, message, **headers):
    body = {"statusCode": status, "message": message, "error": "Error", "traceId": "t-1"}
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def connected(stored_connection, account):
    """The workspace is connected to GHL with ``account``, stored as connect() leaves it."""
    return account


@pytest.fixture
def stored_connection(workspace, account):
    """A real, encrypted ghl Connection for ``workspace`` (as connect() would leave it)."""
    from integrations import connections

    return connections.connect(
        workspace=workspace,
        provider="ghl",
        secrets={"access_token": account.token},
        config={
            "location_id": account.location_id,
            "calendar_id": account.calendar_id,
            "calendar_name": "Discovery Call",
            "timezone": account.timezone,
            "slot_minutes": account.slot_minutes,
        },
        display_name="Acme",
        token_hint=account.token,
    )
