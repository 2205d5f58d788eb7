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
def connected(monkeypatch, workspace, account):
    """The workspace is connected to GHL with ``account``."""
    from ghl import connection

    monkeypatch.setattr(
        connection, "find_account", lambda ws: account if ws.pk == workspace.pk else None
    )
    monkeypatch.setattr(connection, "connected_workspace_ids", lambda: [workspace.pk])
    return account


class FakeInbox:
    """Stands in for integrations' webhook inbox: one row per dedupe key, mapped at once."""

    def __init__(self):
        self.rows = []
        self.failed = []
        self.refused = []
        self.secret = ""

    def store(self, *, workspace, mode, dedupe_key, event_type, body, headers):
        from ghl.mapping import map_delivery

        if any(row.dedupe_key == dedupe_key for row in self.rows):
            return False
        row = FakeDelivery(len(self.rows) + 1, workspace, mode, dedupe_key, body, headers)
        self.rows.append(row)
        row.state = map_delivery(row)
        return True


class FakeDelivery:
    def __init__(self, pk, workspace, mode, dedupe_key, body, headers):
        self.pk, self.workspace, self.mode = pk, workspace, mode
        self.dedupe_key, self.body, self.headers = dedupe_key, body, headers
        self.state = "pending"


@pytest.fixture
def inbox(monkeypatch, connected):
    from ghl import connection

    fake = FakeInbox()
    monkeypatch.setattr(connection, "store_delivery", fake.store)
    monkeypatch.setattr(
        connection,
        "record_failed_delivery",
        lambda *, workspace, mode, body, headers, error: fake.failed.append((error, body)),
    )
    monkeypatch.setattr(
        connection, "count_refused", lambda *, workspace, reason: fake.refused.append(reason)
    )
    monkeypatch.setattr(connection, "workflow_secret", lambda workspace: fake.secret)
    monkeypatch.setattr(connection, "delivery_mode", lambda delivery: delivery.mode)
    monkeypatch.setattr(connection, "delivery_body", lambda delivery: delivery.body)
    return fake
