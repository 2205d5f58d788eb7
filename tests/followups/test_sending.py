"""Sending a queued message: once, after commit, through the workspace's channel; an outcome we
can't know is never resent; a lost enqueue is picked up by the beat."""

import datetime as dt
import logging
from dataclasses import dataclass

import pytest

from followups import channels, sending, services
from followups.errors import ProviderBadRequest, ProviderRateLimited, ProviderUnavailable
from followups.models import OutboundMessage
from followups.tasks import send_due_steps, send_message
from tests.factories import LeadFactory
from tests.support.concurrency import run_at_once

from .conftest import DAY, MEETING, NOW, book, cancel

pytestmark = pytest.mark.django_db

State = OutboundMessage.State


@dataclass(frozen=True)
class Sent:
    provider_message_id: str


class FakeChannel:
    """A messaging provider the test scripts: each send takes the next outcome."""

    name = "fake_sms"
    calls: list = []
    outcomes: list = []
    available = True

    def __init__(self, workspace):
        self.workspace = workspace

    def send(self, *, lead, kind, body, subject="", message=None):
        FakeChannel.calls.append({"lead": lead.pk, "kind": kind, "body": body})
        outcome = FakeChannel.outcomes.pop(0) if FakeChannel.outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        return Sent(provider_message_id=f"fake-{len(FakeChannel.calls)}")


@pytest.fixture
def fake_channel():
    FakeChannel.calls, FakeChannel.outcomes, FakeChannel.available = [], [], True
    channels.register_channel("fake_sms", FakeChannel, lambda ws: FakeChannel.available)
    yield FakeChannel
    channels.unregister_channel("fake_sms")


def queued(lead, body="Are you still keen on a call?", channel="sms"):
    return services.queue_message(lead=lead, channel=channel, body=body)


def state_of(message):
    message.refresh_from_db()
    return message.state


def test_a_message_is_sent_after_commit_not_before(
    lead, django_capture_on_commit_callbacks, settings
):
    settings.MESSAGING_RECORD_ONLY = True  # the tests-only channel
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = queued(lead)
        assert state_of(message) == State.QUEUED  # the transaction is still open
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.state == State.SENT and message.sent_at is not None
    assert message.sent_via == "record_only"


def test_an_available_registered_channel_sends_it(lead, fake_channel):
    message = queued(lead)
    assert send_message(message.pk) == State.SENT
    message.refresh_from_db()
    assert (message.sent_via, message.provider_message_id) == ("fake_sms", "fake-1")
    assert fake_channel.calls == [{"lead": lead.pk, "kind": "sms", "body": message.body}]


def test_without_an_available_channel_the_record_only_one_is_used_in_tests(
    lead, fake_channel, settings
):
    settings.MESSAGING_RECORD_ONLY = True
    fake_channel.available = False
    message = queued(lead)
    send_message(message.pk)
    message.refresh_from_db()
    assert message.sent_via == "record_only" and fake_channel.calls == []


def test_without_an_available_channel_a_message_is_not_sent_with_the_reason(lead, fake_channel):
    fake_channel.available = False
    message = queued(lead)
    assert send_message(message.pk) == State.NOT_SENT
    message.refresh_from_db()
    assert (message.state, message.error) == ("not_sent", "no messaging channel is connected")
    assert message.sent_at is None and fake_channel.calls == []


def test_a_second_run_for_the_same_message_sends_nothing(lead, fake_channel):
    message = queued(lead)
    send_message(message.pk)
    assert send_message(message.pk) is None
    assert len(fake_channel.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_runs_for_one_message_send_it_once(lead, fake_channel):
    message = queued(lead)  # committed: its own on-commit send already ran
    OutboundMessage.objects.filter(pk=message.pk).update(state=State.QUEUED, claimed_at=None)
    fake_channel.calls.clear()

    run_at_once([lambda: send_message(message.pk)] * 10)

    assert len(fake_channel.calls) == 1 and state_of(message) == State.SENT


def test_an_unknown_outcome_is_failed_and_never_sent_again(lead, fake_channel, clock):
    fake_channel.outcomes.append(ProviderUnavailable("Timed out", outcome_unknown=True))
    message = queued(lead)

    assert send_message(message.pk) == State.FAILED
    clock.shift(dt.timedelta(minutes=5))
    send_due_steps()

    message.refresh_from_db()
    assert message.state == State.FAILED and "may have reached the lead" in message.error
    assert len(fake_channel.calls) == 1


def test_a_refused_message_fails_with_the_providers_reason(lead, fake_channel):
    fake_channel.outcomes.append(ProviderBadRequest("GoHighLevel cannot send a “chat” message."))
    message = queued(lead)
    send_message(message.pk)
    message.refresh_from_db()
    assert message.state == State.FAILED and "cannot send" in message.error


def test_a_transient_error_is_retried_by_the_beat_then_sent(lead, fake_channel, clock):
    fake_channel.outcomes.append(ProviderRateLimited("Too many requests", retry_after=30))
    message = queued(lead)

    assert send_message(message.pk) == State.QUEUED
    clock.shift(dt.timedelta(minutes=2))
    send_due_steps()

    assert state_of(message) == State.SENT and len(fake_channel.calls) == 2


def test_a_transient_error_that_never_clears_fails_after_the_last_try(lead, fake_channel, clock):
    fake_channel.outcomes.extend(
        ProviderUnavailable("GoHighLevel is down") for _ in range(sending.MAX_ATTEMPTS)
    )
    message = queued(lead)
    send_message(message.pk)
    for _ in range(sending.MAX_ATTEMPTS + 2):
        clock.shift(dt.timedelta(minutes=2))
        send_due_steps()

    message.refresh_from_db()
    assert message.state == State.FAILED and "gave up after 5 tries" in message.error
    assert len(fake_channel.calls) == sending.MAX_ATTEMPTS


def test_a_broker_error_is_logged_and_the_beat_sends_it_a_minute_later(
    lead, clock, monkeypatch, caplog, django_capture_on_commit_callbacks, fake_channel
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(send_message, "delay", broker_down)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        message = queued(lead)
    assert state_of(message) == State.QUEUED
    assert "could not enqueue send_message" in caplog.text

    monkeypatch.undo()
    clock.shift(dt.timedelta(seconds=30))
    send_due_steps()
    assert state_of(message) == State.QUEUED  # not yet a minute old
    clock.shift(dt.timedelta(minutes=1))
    send_due_steps()
    assert state_of(message) == State.SENT


def test_a_send_interrupted_by_a_dead_worker_is_failed_not_repeated(lead, fake_channel, clock):
    message = queued(lead)
    OutboundMessage.objects.filter(pk=message.pk).update(claimed_at=NOW)  # claimed, then died
    clock.shift(sending.CLAIM_TTL + dt.timedelta(minutes=1))

    send_due_steps()

    message.refresh_from_db()
    assert message.state == State.FAILED and "interrupted" in message.error
    assert fake_channel.calls == []


def test_a_message_queued_before_an_opt_out_is_not_sent(lead, fake_channel):
    message = queued(lead)
    type(lead).objects.filter(pk=lead.pk).update(status="opted_out")

    send_message(message.pk)

    message.refresh_from_db()
    assert message.state == State.FAILED and "opted out" in message.error
    assert fake_channel.calls == []


def test_a_reminder_queued_just_before_a_cancel_is_not_sent(lead, fake_channel, clock):
    book(lead)
    clock.move_to(MEETING - DAY)
    send_due_steps()  # the 24 h reminder is queued (its send runs after commit)
    reminder = OutboundMessage.objects.get(lead=lead)
    cancel(lead)

    send_message(reminder.pk)

    reminder.refresh_from_db()
    assert reminder.state == State.FAILED and "stopped before it went out" in reminder.error
    assert fake_channel.calls == []


def test_an_email_to_a_lead_without_an_address_fails_with_why(workspace, fake_channel):
    lead = LeadFactory(workspace=workspace, email="", phone="+13125550100")
    message = queued(lead, channel="email")
    send_message(message.pk)
    message.refresh_from_db()
    assert message.state == State.FAILED and message.error == "This lead has no e-mail address."


def test_a_channel_name_we_cannot_write_on_goes_by_the_leads_sms(lead):
    assert queued(lead, channel="whatsapp").channel == "sms"
