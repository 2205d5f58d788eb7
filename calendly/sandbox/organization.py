"""The sandbox's organization: its members and their roles, the Sales Team and its event types,
who hosts what, and whose turn it is on a round robin."""

from __future__ import annotations

from . import records
from .errors import invalid
from .records import ORG_UUID, ROLES, TEAM_NAME, TEAM_SLUG, TEAM_UUID, last_segment

ADMIN_ROLES = ("owner", "admin")


class Organization:
    def __init__(self, base_url: str, owner: dict):
        self.base_url = base_url
        self.uri = f"{base_url}/organizations/{ORG_UUID}"
        others = [records.user(base_url, *spec) for spec in records.OTHER_MEMBERS]
        self.people: dict[str, dict] = {person["uri"]: person for person in [owner, *others]}
        self.roles: dict[str, str] = {person["uri"]: "user" for person in others}
        self.roles[owner["uri"]] = "owner"
        self.team = {"uri": f"{base_url}/teams/{TEAM_UUID}", "name": TEAM_NAME, "slug": TEAM_SLUG}
        self.hosts: dict[str, list[dict]] = {}  # event type URI -> the people who host it
        self._turns: dict[str, int] = {}  # round robin event type URI -> whose turn is next

    def team_event_types(self) -> dict[str, dict]:
        """The team's event types, one of each kind; their hosts are recorded here."""
        profile = {"type": "Team", "name": TEAM_NAME, "owner": self.team["uri"], "slug": TEAM_SLUG}
        by_slug = {person["slug"]: person for person in self.people.values()}
        found = {}
        for spec, kind, pooling, host_slugs in records.TEAM_EVENT_TYPES:
            event_type = records.event_type(
                self.base_url, profile, spec, kind=kind, pooling_type=pooling
            )
            self.hosts[event_type["uri"]] = [by_slug[slug] for slug in host_slugs]
            found[spec[0]] = event_type
        return found

    def person(self, uri_or_email: object) -> dict:
        key = str(uri_or_email or "").strip().lower()
        for person in self.people.values():
            if key in (person["uri"].lower(), person["email"].lower()):
                return person
        raise invalid("user is not a member of this organization", "user")

    def is_admin(self, user_uri: str) -> bool:
        return self.roles.get(user_uri) in ADMIN_ROLES

    def set_role(self, person: dict, role: object) -> None:
        if role not in ROLES:
            raise invalid(f"role must be one of {', '.join(ROLES)}", "role")
        self.roles[person["uri"]] = str(role)

    def memberships(self) -> list[dict]:
        return [
            records.membership(self.base_url, person, self.roles[uri])
            for uri, person in self.people.items()
        ]

    def membership(self, uuid: str) -> dict | None:
        return next((m for m in self.memberships() if last_segment(m["uri"]) == uuid), None)

    def take_turn(self, event_type: dict, free: list[dict]) -> dict:
        """The host a round robin gives the booking to: the next in turn among those free."""
        hosts = self.hosts[event_type["uri"]]
        turn = self._turns.get(event_type["uri"], 0)
        for step in range(len(hosts)):
            candidate = hosts[(turn + step) % len(hosts)]
            if candidate in free:
                self._turns[event_type["uri"]] = (turn + step + 1) % len(hosts)
                return candidate
        raise invalid("The selected time is no longer available.", "start_time")
