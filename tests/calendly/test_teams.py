"""Calendly for teams, against the sandbox's organization: the Sales Team's round robin
("Sales Intro", Riley and Morgan in turn), collective ("Team Demo") and group ("Group Q&A")
event types beside Casey's own; organization-scoped subscriptions for an owner or admin;
tracked event types; hosts on appointments, and booking on a team event type."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from booking.models import Appointment
from calendly import tasks
from calendly.account import webhook_url
from calendly.client import CalendlyClient
from calendly.models import Subscription
from calendly.provider import CalendlyProvider
from calendly.subscriptions import EVENTS
from integrations.models import Connection, WebhookDelivery
from tests.calendly.helpers import feed
from tests.factories import LeadFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SALES_INTRO = "8d5e6f70-3333-4b12-8d43-4e5f60718293"
RILEY, MORGAN = "riley@agency.example", "morgan@agency.example"


@pytest.fixture
def api():
    _, key = APIKey.objects.create_key(name="onboarding")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def lead(workspace):
    return LeadFactory(workspace=workspace, email="jordan.lee@example.com")


def path(workspace):
    return f"/api/admin/workspaces/{workspace.public_id}/integrations/calendly"


def team_link(sandbox, slug="sales-intro"):
    return f"{sandbox.base_url}/sales-team/{slug}"


def connect(api, workspace, sandbox, on_commit, **body):
    body.setdefault("event_type", sandbox.booking_link())
    with on_commit():
        response = api.put(path(workspace), {"access_token": sandbox.token, **body}, "json")
    assert response.status_code == 200, response.json()
    return response.json()


def ours(sandbox, workspace):
    return [s for s in sandbox.subscriptions() if str(workspace.public_id) in s["callback_url"]]


def hear(client, receiver, on_commit, *, count=1):
    """Feed what Calendly sent to our webhook, as it would have."""
    for _ in range(count):
        with on_commit():
            assert feed(client, receiver.next()).status_code == 200


def later(hours: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=2, hours=hours)).replace(
        minute=0, second=0, microsecond=0
    )


# Event types of the organization


def test_the_card_lists_own_and_team_event_types_by_owner_with_their_kind(
    api, workspace, calendly_sandbox, calendly_receiver, on_commit, admin_client
):
    connect(api, workspace, calendly_sandbox, on_commit)

    html = admin_client.get(reverse("integrations_tab", args=[workspace.public_id])).content
    html = html.decode()
    assert '<optgroup label="Casey Closer (you)">' in html
    assert '<optgroup label="Team: Sales Team">' in html
    assert "Discovery Call (30 min) · one-on-one" in html
    assert "Sales Intro (30 min) · round robin" in html
    assert "Team Demo (30 min) · collective" in html
    assert "Group Q&amp;A (60 min) · group" in html


def test_a_pasted_team_link_resolves_in_the_admin_api(
    api, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    body = connect(
        api, workspace, calendly_sandbox, on_commit, event_type=team_link(calendly_sandbox)
    )

    assert body["event_type"]["uri"] == calendly_sandbox.event_type_uri(SALES_INTRO)
    assert (body["event_type"]["name"], body["event_type"]["kind"]) == (
        "Sales Intro",
        "round robin",
    )
    assert body["event_type"]["owner"] == "Team: Sales Team"


def test_a_team_link_that_names_nothing_is_refused_on_its_field(
    api, workspace, calendly_sandbox, on_commit
):
    response = api.put(
        path(workspace),
        {"access_token": calendly_sandbox.token, "event_type": team_link(calendly_sandbox, "x")},
        "json",
    )

    assert response.status_code == 400
    assert "No event type" in response.json()["event_type"][0]


# Subscription scope


def test_an_owner_gets_one_organization_scoped_subscription(
    api, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    body = connect(api, workspace, calendly_sandbox, on_commit)

    [hook] = ours(calendly_sandbox, workspace)
    assert hook["scope"] == "organization"
    answer = api.get(path(workspace)).json()
    assert answer["visibility"] == {"scope": "organization", "role": "owner", "cannot_see": ""}
    assert body["subscription"]["state"] in ("pending", "active")


def test_a_plain_member_is_user_scoped_and_the_card_says_what_it_misses(
    api, workspace, calendly_sandbox, calendly_receiver, on_commit, admin_client
):
    calendly_sandbox.control("role", role="user")
    connect(
        api,
        workspace,
        calendly_sandbox,
        on_commit,
        tracked_event_types=[team_link(calendly_sandbox)],
    )

    [hook] = ours(calendly_sandbox, workspace)
    assert hook["scope"] == "user"
    cannot_see = api.get(path(workspace)).json()["visibility"]["cannot_see"]
    assert "Sales Intro" in cannot_see and "owner or admin" in cannot_see
    html = admin_client.get(reverse("integrations_tab", args=[workspace.public_id])).content
    assert "User-scoped" in html.decode() and "hosted by other members" in html.decode()


def test_a_role_change_switches_the_scope_making_the_new_one_before_deleting_the_old(
    api, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    # Each check is the beat's next one, ten minutes after the last (connecting checked first).
    clock = time_machine.travel(datetime.now(UTC), tick=True)
    traveller = clock.start()
    try:
        _role_change(api, workspace, calendly_sandbox, on_commit, traveller)
    finally:
        clock.stop()


def _role_change(api, workspace, calendly_sandbox, on_commit, traveller):
    connect(api, workspace, calendly_sandbox, on_commit)
    [before] = ours(calendly_sandbox, workspace)

    calendly_sandbox.control("role", role="user")
    traveller.shift(timedelta(minutes=10))
    tasks.check_all_subscriptions()

    [after] = ours(calendly_sandbox, workspace)
    assert (before["scope"], after["scope"]) == ("organization", "user")
    calls = [
        (r["method"], r["path"])
        for r in calendly_sandbox.state()["requests"]
        if r["path"].startswith("/webhook_subscriptions")
    ]
    made = calls.index(("POST", "/webhook_subscriptions"), 1)  # the second one made
    deleted = calls.index(("DELETE", "/webhook_subscriptions/" + before["uri"].rsplit("/", 1)[1]))
    assert made < deleted
    assert Subscription.objects.get(workspace=workspace).scope == "user"

    calendly_sandbox.control("role", role="admin")
    traveller.shift(timedelta(minutes=10))
    tasks.check_all_subscriptions()

    [again] = ours(calendly_sandbox, workspace)
    assert again["scope"] == "organization"


def test_a_booking_heard_by_both_scopes_during_a_switch_is_one_appointment(
    client, api, workspace, lead, calendly_sandbox, calendly_receiver, on_commit
):
    connect(api, workspace, calendly_sandbox, on_commit)  # the owner's: organization-scoped
    state = calendly_sandbox.state()
    # The user-scoped one a switch makes, while the organization's is not deleted yet.
    CalendlyClient(calendly_sandbox.token).create_webhook_subscription(
        webhook_url(workspace),
        EVENTS,
        state["organization"],
        "user",
        user=state["user"]["uri"],
        signing_key=Connection.objects.get(workspace=workspace).secret("webhook_signing_key"),
    )

    calendly_sandbox.book(email=lead.email, name="Jordan Lee")  # Casey hosts it: both hear
    hear(client, calendly_receiver, on_commit, count=2)

    assert Appointment.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1


# Tracked event types, hosts


def test_tracked_event_types_are_in_the_put_and_the_get(
    api, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    body = connect(
        api,
        workspace,
        calendly_sandbox,
        on_commit,
        tracked_event_types=[team_link(calendly_sandbox), calendly_sandbox.event_type_uri()],
    )

    names = [t["name"] for t in body["tracked_event_types"]]
    assert names == ["Sales Intro", "Discovery Call"]
    assert api.get(path(workspace)).json()["tracked_event_types"] == body["tracked_event_types"]
    # Left out of a later PUT they stay; an empty list tracks none.
    assert connect(api, workspace, calendly_sandbox, on_commit)["tracked_event_types"]
    assert not connect(api, workspace, calendly_sandbox, on_commit, tracked_event_types=[])[
        "tracked_event_types"
    ]


@pytest.mark.parametrize(
    "value, message",
    [
        (["https://calendly.com/sales-team/nothing-here"], "nothing-here"),
        ("not a list", "“not a list”: Paste the event type's booking link"),
        ([3], "must be a list"),
    ],
)
def test_a_bad_tracked_event_type_is_a_400_naming_it(
    api, workspace, calendly_sandbox, on_commit, value, message
):
    response = api.put(
        path(workspace),
        {
            "access_token": calendly_sandbox.token,
            "event_type": calendly_sandbox.booking_link(),
            "tracked_event_types": value,
        },
        "json",
    )

    assert response.status_code == 400
    assert message in response.json()["tracked_event_types"][0]


def test_a_tracked_round_robin_booking_records_its_host_linked_to_the_member(
    client, api, workspace, lead, calendly_sandbox, calendly_receiver, on_commit
):
    riley = MembershipFactory(workspace=workspace, user=UserFactory(email=RILEY)).user
    connect(
        api,
        workspace,
        calendly_sandbox,
        on_commit,
        tracked_event_types=[team_link(calendly_sandbox)],
    )

    calendly_sandbox.book(event_type="sales-intro", email=lead.email, name="Jordan Lee")
    hear(client, calendly_receiver, on_commit)

    appointment = Appointment.objects.get()
    assert appointment.lead == lead and appointment.status == "booked"
    assert appointment.event_type_name == "Sales Intro"
    assert (appointment.host_name, appointment.host_email) == ("Riley Rivera", RILEY)
    assert appointment.host_user == riley


def test_an_untracked_event_types_booking_stays_ignored(
    client, api, workspace, lead, calendly_sandbox, calendly_receiver, on_commit
):
    connect(api, workspace, calendly_sandbox, on_commit)

    calendly_sandbox.book(event_type="sales-intro", email=lead.email, name="Jordan Lee")
    hear(client, calendly_receiver, on_commit)

    assert not Appointment.objects.exists()
    assert WebhookDelivery.objects.get().state == "ignored"


def test_the_appointments_api_shows_and_filters_by_host(
    client, api, workspace, lead, calendly_sandbox, calendly_receiver, on_commit
):
    connect(
        api,
        workspace,
        calendly_sandbox,
        on_commit,
        tracked_event_types=[team_link(calendly_sandbox), team_link(calendly_sandbox, "team-demo")],
    )
    calendly_sandbox.book(event_type="sales-intro", email=lead.email, name="Jordan Lee")
    calendly_sandbox.book(event_type="team-demo", email=lead.email, name="Jordan Lee")
    hear(client, calendly_receiver, on_commit, count=2)
    url = f"/api/workspaces/{workspace.public_id}/appointments"

    everyone = api.get(url).json()["results"]
    riley = api.get(url, {"host": RILEY.upper()}).json()["results"]
    morgan = api.get(url, {"host": MORGAN}).json()["results"]

    assert {(a["event_type_name"], a["host_email"]) for a in everyone} == {
        ("Sales Intro", RILEY),
        ("Team Demo", RILEY),
    }
    assert {a["host_name"] for a in riley} == {"Riley Rivera"} and len(riley) == 2
    assert [a["event_type_name"] for a in morgan] == ["Team Demo"]  # a collective's second host
    assert api.get(url, {"host": "nobody"}).status_code == 400


def test_my_appointments_is_what_the_signed_in_setter_hosts(
    client, api, workspace, lead, calendly_sandbox, calendly_receiver, on_commit
):
    connect(
        api,
        workspace,
        calendly_sandbox,
        on_commit,
        event_type=team_link(calendly_sandbox),
    )
    calendly_sandbox.book(event_type="sales-intro", email=lead.email, name="Jordan Lee")
    other = LeadFactory(workspace=workspace, email="sam@example.com", first_name="Sam")
    calendly_sandbox.book(event_type="sales-intro", email=other.email, name="Sam Smith")
    hear(client, calendly_receiver, on_commit, count=2)
    setter = MembershipFactory(workspace=workspace, user=UserFactory(email=MORGAN)).user
    client.force_login(setter)

    page = client.get(
        reverse("appointment_list", args=[workspace.public_id]), {"host": "me"}
    ).content.decode()

    assert "Sam" in page and "Jordan" not in page  # Riley had the first turn, Morgan the next
    assert "Morgan Price" in page and "Sales Intro" in page


def test_a_reassignment_reaches_the_host_by_reconcile(
    client, api, workspace, lead, calendly_sandbox, calendly_receiver, on_commit
):
    connect(api, workspace, calendly_sandbox, on_commit, event_type=team_link(calendly_sandbox))
    invitee = calendly_sandbox.book(event_type="sales-intro", email=lead.email, name="Jordan Lee")
    hear(client, calendly_receiver, on_commit)

    calendly_sandbox.control("reassign", invitee=invitee["uri"], host=MORGAN)
    assert tasks.reconcile_workspace(workspace.pk) == "ok"

    appointment = Appointment.objects.get()
    assert (appointment.host_name, appointment.host_email) == ("Morgan Price", MORGAN)
    assert appointment.status == "booked"


def test_a_reassignment_reaches_the_host_by_the_next_webhook(
    client, api, workspace, lead, calendly_sandbox, calendly_receiver, on_commit
):
    connect(api, workspace, calendly_sandbox, on_commit, event_type=team_link(calendly_sandbox))
    invitee = calendly_sandbox.book(event_type="sales-intro", email=lead.email, name="Jordan Lee")
    hear(client, calendly_receiver, on_commit)

    calendly_sandbox.control("reassign", invitee=invitee["uri"], host=MORGAN)
    calendly_sandbox.no_show(invitee["uri"])
    hear(client, calendly_receiver, on_commit)

    appointment = Appointment.objects.get()
    assert (appointment.status, appointment.host_email) == ("no_show", MORGAN)


# Booking on team event types


def test_a_round_robin_is_offered_its_own_times_and_booked_directly(
    client, api, workspace, lead, calendly_sandbox, calendly_receiver, on_commit
):
    connect(api, workspace, calendly_sandbox, on_commit, event_type=team_link(calendly_sandbox))
    calendly_sandbox.config(availability=[later(h).isoformat() for h in (1, 2)])
    provider = CalendlyProvider(workspace)

    slots = provider.available_slots(start=later(0), end=later(5), timezone="UTC")
    result = provider.book(lead=lead, start=slots[0].start, idempotency_key="k1")
    hear(client, calendly_receiver, on_commit)

    assert [s.start for s in slots] == [later(1), later(2)]
    assert [s.end - s.start for s in slots] == [timedelta(minutes=30)] * 2
    appointment = Appointment.objects.get()
    assert appointment.external_id == result.ref.external_id
    assert appointment.host_email == RILEY and appointment.event_type_name == "Sales Intro"
    assert provider.find_booking(lead=lead, start=later(1)).ref == result.ref


def test_the_link_fallback_works_on_a_team_event_type(
    api, workspace, lead, calendly_sandbox, calendly_receiver, on_commit
):
    connect(api, workspace, calendly_sandbox, on_commit, event_type=team_link(calendly_sandbox))

    link = CalendlyProvider(workspace).scheduling_link(lead=lead)

    assert link.startswith(f"{calendly_sandbox.base_url}/d/") and "/sales-intro?" in link
    assert f"utm_content={lead.pk}" in link


def test_the_card_ticks_tracked_event_types_and_shows_them(
    api, workspace, calendly_sandbox, calendly_receiver, on_commit, admin_client
):
    connect(api, workspace, calendly_sandbox, on_commit)
    tab = reverse("integrations_tab", args=[workspace.public_id])
    url = reverse("integrations_connect", args=[workspace.public_id, "calendly"])

    with on_commit():
        admin_client.post(
            url,
            {
                "event_type": calendly_sandbox.event_type_uri(),
                "tracked_event_types": ["", calendly_sandbox.event_type_uri(SALES_INTRO)],
            },
        )
    html = admin_client.get(tab).content.decode()

    assert "Sales Intro (round robin)" in html.split('id="calendly-tracked-event-types"')[1]
    assert f'value="{calendly_sandbox.event_type_uri(SALES_INTRO)}" checked' in html

    with on_commit():  # nothing ticked: only the hidden field is sent
        admin_client.post(
            url, {"event_type": calendly_sandbox.event_type_uri(), "tracked_event_types": [""]}
        )
    assert api.get(path(workspace)).json()["tracked_event_types"] == []
