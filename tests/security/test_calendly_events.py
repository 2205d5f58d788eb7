"""Calendly stamps its events too: a no-show mark set before it was removed, arriving late,
never marks the lead a no-show again."""

import json

import pytest
from django.test import Client

from booking.models import Appointment
from tests.support.webhooks import CALENDLY

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(workspace, settings):
    return CALENDLY.open(workspace=workspace, settings=settings)


def no_show(door, name, *, created_at):
    booked = json.loads(door.body(0))["payload"]
    with open(f"tests/fixtures/calendly/{name}.json") as fixture:
        body = json.load(fixture)
    body["created_at"] = created_at
    body["payload"].update(
        uri=booked["uri"],
        event=booked["event"],
        email=booked["email"],
        scheduled_event=booked["scheduled_event"],
    )
    return json.dumps(body).encode()


def deliver(door, body, capture):
    with capture(execute=True):
        response = Client().post(
            door.url, data=body, content_type="application/json", headers=door.sign(body)
        )
    assert response.status_code == 200


def test_a_late_no_show_mark_older_than_its_removal_is_not_applied(
    door, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    deliver(door, door.body(0), capture)
    marked = no_show(door, "invitee_no_show_created", created_at="2026-12-01T16:20:01Z")
    cleared = no_show(door, "invitee_no_show_deleted", created_at="2026-12-01T17:05:00Z")

    deliver(door, marked, capture)
    assert Appointment.objects.get(lead=door.lead).status == "no_show"
    deliver(door, cleared, capture)
    after_clearing = Appointment.objects.get(lead=door.lead).status
    assert after_clearing != "no_show"

    late = json.loads(marked)
    late["payload"]["no_show"]["uri"] += "-earlier"  # another mark, set before the removal
    late["created_at"] = "2026-12-01T16:50:00Z"
    deliver(door, json.dumps(late).encode(), capture)

    assert Appointment.objects.get(lead=door.lead).status == after_clearing
