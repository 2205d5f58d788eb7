"""The sandbox's organization: members with roles, the Sales Team's event types of each kind,
organization-scope webhooks (owners and admins only), hosts on scheduled events and how a round
robin hands them out. Driven over HTTP as Calendly's API is."""

import json
import queue
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from calendly.sandbox.server import start_sandbox
from calendly.signatures import SIGNATURE_HEADER, verify
from tests.calendly.helpers import Receiver

TOKEN = "sandbox-token"
HOOK_KEY = "whsec-org-tests-key"
EVENTS = ["invitee.created", "invitee.canceled"]
RILEY, MORGAN = "riley@agency.example", "morgan@agency.example"


class Api:
    def __init__(self, base_url: str):
        self.base_url = base_url
        me = self.get("/users/me").json()["resource"]
        self.me, self.org = me["uri"], me["current_organization"]

    def get(self, path: str, **params) -> httpx.Response:
        return httpx.get(f"{self.base_url}{path}", params=params, headers=self._auth)

    def post(self, path: str, body: dict) -> httpx.Response:
        return httpx.post(f"{self.base_url}{path}", json=body, headers=self._auth)

    def control(self, action: str, **body) -> httpx.Response:
        return httpx.post(f"{self.base_url}/_sandbox/{action}", json=body)

    @property
    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {TOKEN}"}

    def event_type(self, slug: str) -> dict:
        items = self.get("/event_types", organization=self.org).json()["collection"]
        return next(item for item in items if item["slug"] == slug)

    def free(self, slug: str) -> list[str]:
        start = datetime.now(UTC) + timedelta(minutes=5)
        answer = self.get(
            "/event_type_available_times",
            event_type=self.event_type(slug)["uri"],
            start_time=start.isoformat(),
            end_time=(start + timedelta(days=7)).isoformat(),
        )
        return [slot["start_time"] for slot in answer.json()["collection"]]

    def book(self, slug: str, start: str, email: str = "lead@example.com") -> httpx.Response:
        return self.post(
            "/invitees",
            {
                "event_type": self.event_type(slug)["uri"],
                "start_time": start,
                "invitee": {"name": "Lee Lead", "email": email, "timezone": "UTC"},
            },
        )

    def hosts(self, invitee: dict) -> list[str]:
        event = self.get(f"/scheduled_events/{invitee['event'].rsplit('/', 1)[-1]}")
        return [m["user_email"] for m in event.json()["resource"]["event_memberships"]]

    def subscribe(self, url: str, scope: str) -> httpx.Response:
        body = {"url": url, "events": EVENTS, "organization": self.org, "scope": scope}
        if scope == "user":
            body["user"] = self.me
        return self.post("/webhook_subscriptions", {**body, "signing_key": HOOK_KEY})


@pytest.fixture
def api():
    server, base_url = start_sandbox(token=TOKEN)
    yield Api(base_url)
    server.stop()


@pytest.fixture
def receivers():
    made = []

    def make() -> Receiver:
        made.append(Receiver())
        return made[-1]

    yield make
    for receiver in made:
        receiver.stop()


def emails(deliveries) -> list[str]:
    return sorted(json.loads(d.body)["payload"]["email"] for d in deliveries)


# Organization memberships


def test_the_organization_lists_its_members_with_their_roles(api):
    answer = api.get("/organization_memberships", organization=api.org).json()

    roles = {m["user"]["email"]: m["role"] for m in answer["collection"]}
    assert roles == {"closer@agency.example": "owner", RILEY: "user", MORGAN: "user"}
    first = answer["collection"][0]
    assert first["organization"] == api.org and first["uri"].startswith(api.base_url)
    assert set(first["user"]) >= {"uri", "name", "slug", "email", "scheduling_url", "timezone"}
    assert api.get(first["uri"].removeprefix(api.base_url)).json()["resource"] == first


@pytest.mark.parametrize(
    ("params", "emails"),
    [
        ({"user": "{me}"}, ["closer@agency.example"]),
        ({"organization": "{org}", "role": "user"}, [RILEY, MORGAN]),
        ({"organization": "{org}", "email": MORGAN}, [MORGAN]),
    ],
)
def test_memberships_are_filtered_by_user_role_and_email(api, params, emails):
    params = {k: v.format(me=api.me, org=api.org) for k, v in params.items()}

    found = api.get("/organization_memberships", **params).json()["collection"]

    assert [m["user"]["email"] for m in found] == emails


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"organization": "https://api.calendly.com/organizations/another"}, 403),
        ({"organization": "{org}", "role": "boss"}, 400),
    ],
)
def test_bad_membership_queries_are_refused(api, params, status):
    params = {k: v.format(org=api.org) for k, v in params.items()}

    answer = api.get("/organization_memberships", **params)

    assert answer.status_code == status and answer.json()["title"]


def test_memberships_need_the_organizations_read_scope(api):
    api.control("config", scopes=["users:read"])

    answer = api.get("/organization_memberships", organization=api.org)

    assert answer.status_code == 403
    assert "organizations:read" in answer.json()["message"]


def test_a_role_is_set_by_control_and_checked(api):
    assert api.control("role", user=RILEY, role="admin").json()["role"] == "admin"
    assert api.control("role", role="owner-ish").status_code == 400
    assert api.control("role", user="nobody@example.com", role="user").status_code == 400

    found = api.get("/organization_memberships", organization=api.org, role="admin").json()
    assert [m["user"]["email"] for m in found["collection"]] == [RILEY]


# Team event types


@pytest.mark.parametrize(
    ("slug", "kind", "pooling_type"),
    [
        ("sales-intro", "solo", "round_robin"),
        ("team-demo", "solo", "collective"),
        ("group-qa", "group", None),
        ("discovery-call", "solo", None),
    ],
)
def test_the_organizations_event_types_carry_owner_and_kind(api, slug, kind, pooling_type):
    found = api.event_type(slug)

    assert (found["kind"], found["pooling_type"]) == (kind, pooling_type)
    if slug == "discovery-call":
        assert found["profile"] == {"type": "User", "name": "Casey Closer", "owner": api.me}
    else:
        assert found["profile"]["type"] == "Team" and found["profile"]["name"] == "Sales Team"
        assert found["scheduling_url"] == f"{api.base_url}/sales-team/{slug}"


def test_a_users_list_has_only_what_that_user_owns_or_hosts(api):
    members = api.get("/organization_memberships", organization=api.org).json()["collection"]
    morgan = next(m["user"]["uri"] for m in members if m["user"]["email"] == MORGAN)

    mine = [e["slug"] for e in api.get("/event_types", user=api.me).json()["collection"]]
    morgans = [e["slug"] for e in api.get("/event_types", user=morgan).json()["collection"]]

    assert mine == ["discovery-call", "strategy-session", "old-intro-call"]
    assert morgans == ["sales-intro", "team-demo", "group-qa"]
    api.control("role", role="user")
    assert api.get("/event_types", user=morgan).status_code == 403


def test_the_team_page_links_its_booking_pages(api):
    page = httpx.get(f"{api.base_url}/sales-team")

    assert page.status_code == 200
    for slug in ("sales-intro", "team-demo", "group-qa"):
        assert f"{api.base_url}/sales-team/{slug}" in page.text


# Hosts and booking on team event types


def test_booking_on_a_team_link_assigns_a_host_and_tells_the_organization(api, receivers):
    hook = receivers()
    api.subscribe(f"{hook.base_url}/hook", "organization")
    link = f"{api.base_url}/sales-team/sales-intro"
    start = re.findall(r'name="start_time" value="([^"]+)"', httpx.get(link).text)[0]

    booked = httpx.post(link, data={"start_time": start, "name": "Lee Lead", "email": "l@x.co"})

    assert booked.status_code == 200 and "Riley Rivera" in booked.text
    delivery = hook.next()
    verify(delivery.headers.get(SIGNATURE_HEADER), delivery.body, HOOK_KEY)
    event = json.loads(delivery.body)["payload"]["scheduled_event"]
    assert [m["user_email"] for m in event["event_memberships"]] == [RILEY]
    assert event["event_type"] == api.event_type("sales-intro")["uri"]


def test_a_round_robin_hands_bookings_to_its_hosts_in_turn(api):
    first, second = api.free("sales-intro")[:2]

    hosts = [
        api.hosts(api.book("sales-intro", start).json()["resource"]) for start in (first, second)
    ]

    assert hosts == [[RILEY], [MORGAN]]
    assert api.get("/scheduled_events", user=api.me).json()["collection"] == []  # hosts none


def test_a_round_robin_slot_stays_free_while_a_host_is(api):
    start = api.free("sales-intro")[0]

    assert api.hosts(api.book("sales-intro", start).json()["resource"]) == [RILEY]
    assert api.hosts(api.book("sales-intro", start, "b@example.com").json()["resource"]) == [MORGAN]

    third = api.book("sales-intro", start, "c@example.com")
    assert third.status_code == 400
    assert "no longer available" in third.json()["message"]
    assert start not in api.free("sales-intro")


def test_a_collective_event_has_every_host_and_needs_them_all_free(api):
    start = api.free("team-demo")[0]
    booked = api.book("team-demo", start).json()["resource"]

    assert api.hosts(booked) == [RILEY, MORGAN]
    later = api.free("team-demo")[0]
    api.book("sales-intro", later)  # Riley takes it
    assert later not in api.free("team-demo")


def test_a_group_event_takes_several_invitees_and_goes_on_when_one_cancels(api):
    start = api.free("group-qa")[0]
    one = api.book("group-qa", start, "one@example.com").json()["resource"]
    two = api.book("group-qa", start, "two@example.com").json()["resource"]

    assert one["event"] == two["event"] and api.hosts(one) == [MORGAN]
    event_path = f"/scheduled_events/{one['event'].rsplit('/', 1)[-1]}"
    assert api.get(event_path).json()["resource"]["invitees_counter"] == {
        "total": 2,
        "active": 2,
        "limit": 10,
    }
    assert start in api.free("group-qa")

    api.control("cancel", invitee=one["uri"])

    event = api.get(event_path).json()["resource"]
    assert event["status"] == "active" and event["invitees_counter"]["active"] == 1


def test_reassigning_a_round_robin_booking_changes_its_host(api):
    booked = api.book("sales-intro", api.free("sales-intro")[0]).json()["resource"]

    assert api.control("reassign", invitee=booked["uri"], host=MORGAN).status_code == 200

    assert api.hosts(booked) == [MORGAN]
    members = api.get("/organization_memberships", organization=api.org, email=MORGAN).json()
    morgan = members["collection"][0]["user"]["uri"]
    listed = api.get("/scheduled_events", user=morgan).json()["collection"]
    assert [e["uri"] for e in listed] == [booked["event"]]


def test_only_owners_and_admins_list_the_organizations_events(api):
    api.book("sales-intro", api.free("sales-intro")[0])

    assert len(api.get("/scheduled_events", organization=api.org).json()["collection"]) == 1
    api.control("role", role="user")
    refused = api.get("/scheduled_events", organization=api.org)
    assert refused.status_code == 403 and refused.json()["title"] == "Permission Denied"


# Organization-scope webhook subscriptions


def test_a_user_subscription_misses_team_bookings_hosted_by_others(api, receivers):
    org_hook, user_hook = receivers(), receivers()
    api.subscribe(f"{org_hook.base_url}/hook", "organization")
    api.subscribe(f"{user_hook.base_url}/hook", "user")

    api.book("sales-intro", api.free("sales-intro")[0], "team@example.com")
    api.book("discovery-call", api.free("discovery-call")[0], "mine@example.com")
    org_got = [org_hook.next(), org_hook.next()]
    user_got = [user_hook.next()]

    assert emails(org_got) == ["mine@example.com", "team@example.com"]
    assert emails(user_got) == ["mine@example.com"]
    for delivery in org_got + user_got:
        verify(delivery.headers.get(SIGNATURE_HEADER), delivery.body, HOOK_KEY)
    with pytest.raises(queue.Empty):  # nothing more is coming for the user's subscription
        user_hook.next(timeout=0.5)


def test_a_member_who_is_not_an_admin_is_refused_an_organization_subscription(api):
    api.control("role", role="user")

    created = api.subscribe("https://hooks.example/calendly", "organization")
    listed = api.get("/webhook_subscriptions", organization=api.org, scope="organization")

    for answer in (created, listed):
        assert answer.status_code == 403
        assert answer.json()["title"] == "Permission Denied"
    assert api.subscribe("https://hooks.example/calendly", "user").status_code == 201


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_may_subscribe_for_the_organization(api, role):
    api.control("role", role=role)

    assert api.subscribe("https://hooks.example/calendly", "organization").status_code == 201
    listed = api.get("/webhook_subscriptions", organization=api.org, scope="organization")
    assert [s["scope"] for s in listed.json()["collection"]] == ["organization"]
