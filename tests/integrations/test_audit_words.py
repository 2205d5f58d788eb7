"""The audit log reads as sentences about people and products, never as field names."""

import pytest

from integrations.audit_words import audit_rows
from tests.factories import UserFactory
from workspaces import audit

pytestmark = pytest.mark.django_db


def said(workspace, action, changes, actor=None, actor_label=""):
    event = audit.record(
        workspace=workspace, action=action, actor=actor, actor_label=actor_label, changes=changes
    )
    (row,) = audit_rows([event])
    return row


@pytest.fixture
def ann(db):
    return UserFactory(first_name="Ann", last_name="Lee")


@pytest.mark.parametrize(
    ("action", "changes", "sentence"),
    [
        (
            "workspace.booking_provider_changed",
            {"booking_provider": ["ghl", "calendly"]},
            "Ann Lee switched the booking provider from GoHighLevel to Calendly",
        ),
        (
            "workspace.booking_provider_changed",
            {"booking_provider": ["", "calendly"]},
            "Ann Lee made Calendly the booking provider",
        ),
        (
            "workspace.auto_book_changed",
            {"auto_book_enabled": [False, True]},
            "Ann Lee turned auto-booking on",
        ),
        ("integration.disconnected", {"provider": "ghl"}, "Ann Lee disconnected GoHighLevel"),
        (
            "integration.checked",
            {"provider": "calendly"},
            "Ann Lee tested the connection to Calendly",
        ),
        (
            "delivery.replayed",
            {"provider": "calendly", "event": "invitee.created", "delivery": 4},
            "Ann Lee replayed Calendly's invitee.created webhook",
        ),
    ],
)
def test_each_action_is_a_sentence(workspace, ann, action, changes, sentence):
    assert said(workspace, action, changes, actor=ann).sentence == sentence


def test_a_changed_event_type_is_named_not_shown_as_its_uri(workspace, ann):
    row = said(
        workspace,
        "integration.updated",
        {
            "provider": "calendly",
            "config": {
                "event_type_uri": ["https://api.calendly.com/event_types/A", "https://x/B"],
                "event_type_name": ["Intro call", "Demo"],
                "event_types": [[], [{"uri": "a"}, {"uri": "b"}]],
            },
            "secrets_changed": ["access_token"],
        },
        actor=ann,
    )

    assert row.sentence == "Ann Lee changed the settings of Calendly"
    assert row.details == [
        "event type: Intro call → Demo",
        "event types list refreshed (2)",
        "new access token saved",
    ]
    assert not any("uri" in line or "https://" in line for line in row.details)


def test_without_a_person_the_label_or_the_system_is_named(workspace):
    assert said(
        workspace, "integration.needs_reauth", {"provider": "calendly"}, actor_label="reconcile"
    ).sentence == ("Calendly refused the stored credentials")
    row = said(workspace, "delivery.replayed", {"count": 3, "state": ["failed", "received"]})
    assert row.sentence == "The system replayed 3 webhook deliveries"
    assert row.details == ["state: failed → received"]
