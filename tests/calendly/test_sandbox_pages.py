"""The sandbox's public pages, driven over HTTP as a lead's browser would: booking at an event
type's ``scheduling_url``, then the invitee's cancel and reschedule links. Each sends the same
signed webhooks as an API booking, caught by a local receiver."""

import json
import re
from html.parser import HTMLParser

import httpx
import pytest

from calendly.client import CalendlyClient
from calendly.sandbox.server import start_sandbox
from calendly.signatures import SIGNATURE_HEADER, verify
from tests.calendly.helpers import Receiver

TOKEN = "sandbox-token"
HOOK_KEY = "whsec-page-tests-key"
EVENTS = ["invitee.created", "invitee.canceled"]


@pytest.fixture
def sandbox():
    server, base_url = start_sandbox(token=TOKEN, signing_key="whsec-app-key")
    yield base_url
    server.stop()


@pytest.fixture
def receiver(sandbox):
    """Subscribed (user scope, our own signing key) to bookings and cancellations."""
    caught = Receiver()
    with CalendlyClient(TOKEN, base_url=sandbox) as client:
        me = client.me()
        client.create_webhook_subscription(
            f"{caught.base_url}/hook",
            EVENTS,
            me.current_organization,
            "user",
            user=me.uri,
            signing_key=HOOK_KEY,
        )
    yield caught
    caught.stop()


def delivered(receiver) -> dict:
    delivery = receiver.next()
    verify(delivery.headers.get(SIGNATURE_HEADER), delivery.body, HOOK_KEY)
    return json.loads(delivery.body)


class Form(HTMLParser):
    """What a browser sees of a page's form: labels, inputs, the free times offered."""

    def __init__(self, html: str):
        super().__init__()
        self.inputs: list[dict] = []
        self.labels: set[str] = set()
        self.alerts: list[str] = []
        self._in_alert = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "textarea") and attrs.get("type") != "hidden":
            self.inputs.append(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        self._in_alert = attrs.get("role") == "alert"

    def handle_data(self, data):
        if self._in_alert:
            self.alerts.append(data)
            self._in_alert = False

    @property
    def times(self) -> list[str]:
        return [i["value"] for i in self.inputs if i.get("name") == "start_time"]

    def value(self, name: str) -> str | None:
        return next((i.get("value") for i in self.inputs if i.get("name") == name), None)


def open_page(url: str, **params) -> tuple[httpx.Response, Form]:
    answer = httpx.get(url, params=params)
    return answer, Form(answer.text)


def book(url: str, **fields) -> httpx.Response:
    return httpx.post(url, data=fields)


def test_the_booking_page_offers_free_times_and_labels_every_field(sandbox):
    answer, form = open_page(
        f"{sandbox}/casey-closer/discovery-call", name="Jo Lee", email="jo@x.co"
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert form.times and all(t.endswith("Z") for t in form.times)
    assert all(field.get("id") in form.labels for field in form.inputs)
    assert (form.value("name"), form.value("email")) == ("Jo Lee", "jo@x.co")
    assert "What would you like to discuss?" in answer.text


def test_booking_on_the_page_sends_a_signed_invitee_created(sandbox, receiver):
    url = f"{sandbox}/casey-closer/strategy-session"
    _, form = open_page(url, utm_source="newsletter")
    start = form.times[0]

    answer = book(
        url,
        start_time=start,
        name="Jo Lee",
        email="jo@x.co",
        a1="acme.example",
        utm_source="newsletter",
    )

    assert answer.status_code == 200 and "You are scheduled" in answer.text
    envelope = delivered(receiver)
    invitee = envelope["payload"]
    assert envelope["event"] == "invitee.created"
    assert (invitee["name"], invitee["email"]) == ("Jo Lee", "jo@x.co")
    assert invitee["scheduled_event"]["start_time"] == start
    assert invitee["tracking"]["utm_source"] == "newsletter"
    assert invitee["questions_and_answers"][0]["answer"] == "acme.example"
    assert invitee["cancel_url"] in answer.text and invitee["reschedule_url"] in answer.text
    assert start not in open_page(url)[1].times


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"name": "Jo Lee", "email": "jo@x.co"}, "start_time is required"),
        ({"name": "Jo Lee", "email": "not-an-email", "start_time": "{start}"}, "email"),
        ({"email": "jo@x.co", "start_time": "{start}"}, "name"),
        ({"name": "Jo Lee", "email": "jo@x.co", "start_time": "{start}"}, "required question"),
        (
            {"name": "Jo", "email": "jo@x.co", "start_time": "2020-01-01T10:00:00Z", "a1": "x"},
            "no longer",
        ),
    ],
)
def test_a_refused_booking_says_why_and_books_nothing(sandbox, receiver, fields, says):
    url = f"{sandbox}/casey-closer/strategy-session"
    start = open_page(url)[1].times[0]

    answer = book(url, **{key: value.format(start=start) for key, value in fields.items()})

    assert answer.status_code == 400
    assert says in " ".join(Form(answer.text).alerts)
    assert httpx.get(f"{sandbox}/_sandbox/state").json()["invitees"] == []
    assert receiver.drain() == []


def test_a_time_in_the_link_is_chosen_already(sandbox):
    url = f"{sandbox}/casey-closer/discovery-call"
    second = open_page(url)[1].times[1]

    answer, _ = open_page(f"{url}/{second[:16]}")

    assert re.search(rf'value="{re.escape(second)}" required checked', answer.text)
    booked = book(f"{url}/{second[:16]}", start_time=second, name="Jo Lee", email="jo@x.co")
    assert booked.status_code == 200 and "You are scheduled" in booked.text


def test_the_cancel_link_cancels_and_sends_invitee_canceled(sandbox, receiver):
    url = f"{sandbox}/casey-closer/discovery-call"
    book(url, start_time=open_page(url)[1].times[0], name="Jo Lee", email="jo@x.co")
    invitee = delivered(receiver)["payload"]

    page = httpx.get(invitee["cancel_url"])
    assert page.status_code == 200 and "reason" in Form(page.text).labels
    answer = httpx.post(invitee["cancel_url"], data={"reason": "Found another time"})

    assert answer.status_code == 200 and "Cancellation confirmed" in answer.text
    envelope = delivered(receiver)
    canceled = envelope["payload"]
    assert envelope["event"] == "invitee.canceled" and canceled["uri"] == invitee["uri"]
    assert canceled["cancellation"]["canceler_type"] == "invitee"
    assert canceled["cancellation"]["reason"] == "Found another time"
    assert canceled["rescheduled"] is False
    assert "This event is canceled" in httpx.get(invitee["cancel_url"]).text
    assert httpx.post(invitee["cancel_url"]).status_code == 200 and receiver.drain() == []


def test_the_reschedule_link_moves_the_booking(sandbox, receiver):
    url = f"{sandbox}/casey-closer/discovery-call"
    first, later = open_page(url)[1].times[:2]
    book(url, start_time=first, name="Jo Lee", email="jo@x.co")
    old = delivered(receiver)["payload"]

    _, form = open_page(old["reschedule_url"])
    assert later in form.times
    answer = httpx.post(old["reschedule_url"], data={"start_time": later})

    assert answer.status_code == 200 and "You are scheduled" in answer.text
    canceled, created = delivered(receiver), delivered(receiver)
    assert canceled["event"] == "invitee.canceled" and created["event"] == "invitee.created"
    assert canceled["payload"]["rescheduled"] is True
    assert canceled["payload"]["new_invitee"] == created["payload"]["uri"]
    assert created["payload"]["old_invitee"] == old["uri"]
    assert created["payload"]["scheduled_event"]["start_time"] == later
    assert created["payload"]["email"] == "jo@x.co"


def test_rescheduling_to_a_taken_time_is_refused_on_the_page(sandbox, receiver):
    url = f"{sandbox}/casey-closer/discovery-call"
    first = open_page(url)[1].times[0]
    book(url, start_time=first, name="Jo Lee", email="jo@x.co")
    old = delivered(receiver)["payload"]

    answer = httpx.post(old["reschedule_url"], data={"start_time": first})

    assert answer.status_code == 400 and Form(answer.text).alerts
    assert receiver.drain() == []


def test_a_single_use_link_books_once(sandbox, receiver):
    with CalendlyClient(TOKEN, base_url=sandbox) as client:
        event_type = next(t for t in client.event_types(user=client.me().uri) if t.active)
        link = client.create_scheduling_link(event_type.uri).booking_url

    start = open_page(link)[1].times[0]
    assert book(link, start_time=start, name="Jo Lee", email="jo@x.co").status_code == 200
    assert delivered(receiver)["event"] == "invitee.created"

    assert httpx.get(link).status_code == 410
    assert book(link, start_time=start, name="Jo Lee", email="jo@x.co").status_code == 410


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/nobody", 404),
        ("/casey-closer/no-such-event", 404),
        ("/casey-closer/old-intro-call", 404),  # inactive
        ("/cancellations/unknown", 404),
        ("/reschedulings/unknown", 404),
        ("/d/0000000000/discovery-call", 404),
    ],
)
def test_pages_that_do_not_exist_say_so(sandbox, path, status):
    answer = httpx.get(f"{sandbox}{path}")

    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")


def test_pages_are_not_api_calls(sandbox):
    open_page(f"{sandbox}/casey-closer/discovery-call")

    assert httpx.get(f"{sandbox}/_sandbox/state").json()["requests"] == []
