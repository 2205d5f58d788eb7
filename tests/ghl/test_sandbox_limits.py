"""The sandboxes answer the providers' documented rate limits, per location (GHL) and per user
(Calendly), with the providers' headers, so a benchmark sees a 429 where the provider would."""

import httpx
import pytest

from calendly.sandbox.server import start_sandbox
from ghl.sandbox.records import CALENDAR, LOCATION
from ghl.sandbox.server import start_server
from integrations.sandbox_limits import RateLimiter


@pytest.fixture
def ghl():
    server = start_server(rate_limit=RateLimiter(3, 10.0, daily=5))
    yield server
    server.stop()


def events(base, token):
    return httpx.get(
        f"{base}/calendars/events",
        params={"locationId": LOCATION, "calendarId": CALENDAR, "startTime": 0, "endTime": 1},
        headers={"Authorization": f"Bearer {token}", "Version": "2021-04-15"},
    )


def test_ghl_answers_429_over_the_burst_limit_of_one_location_only(ghl):
    answers = [events(ghl.base_url, "location-a") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-RateLimit-Max"] == "3"
    assert answers[0].headers["X-RateLimit-Remaining"] == "2"
    assert answers[0].headers["X-RateLimit-Interval-Milliseconds"] == "10000"
    assert answers[0].headers["X-RateLimit-Daily-Remaining"] == "4"
    assert answers[3].json()["statusCode"] == 429
    assert events(ghl.base_url, "location-b").status_code == 200  # another location's own
    stats = ghl.rate_limit.stats()
    assert (stats["served"], stats["refused"], stats["peak_per_window"]) == (4, 1, 3)


def test_ghl_answers_429_over_the_daily_limit():
    clock = [0.0]
    server = start_server(rate_limit=RateLimiter(3, 10.0, daily=5, clock=lambda: clock[0]))
    try:
        statuses = []
        for second in (0, 0, 0, 11, 11, 11):
            clock[0] = second
            statuses.append(events(server.base_url, "location-a").status_code)
    finally:
        server.stop()
    assert statuses == [200, 200, 200, 200, 200, 429]


def test_calendly_answers_429_over_the_per_user_limit_each_token_its_own_user():
    server, base = start_sandbox(tenants=True, rate_limit=RateLimiter(2, 60.0))
    try:

        def me(token):
            return httpx.get(f"{base}/users/me", headers={"Authorization": f"Bearer {token}"})

        answers = [me("user-one") for _ in range(3)]
        other = me("user-two")
    finally:
        server.stop()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "2"
    assert answers[0].headers["X-RateLimit-Remaining"] == "1"
    assert 1 <= int(answers[2].headers["X-RateLimit-Reset"]) <= 60
    assert other.status_code == 200


class Clock:
    """The limiter's clock, moved on by the client's sleeps: waiting is instant."""

    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def calendly_client(base, clock):
    from calendly.dialect import CalendlyDialect
    from integrations.http import ProviderHttp

    return ProviderHttp(
        CalendlyDialect(), base_url=base, token="user-one", sleep=clock.sleep, clock=clock
    )


def me(client):
    from integrations.http import Policy

    return client.request("GET", "/users/me", action="read the user", policy=Policy(attempts=3))


def test_a_client_waits_out_a_spent_window_instead_of_earning_a_429():
    clock = Clock()
    server, base = start_sandbox(tenants=True, rate_limit=RateLimiter(2, 5.0, clock=clock))
    try:
        with calendly_client(base, clock) as client:
            answers = [me(client) for _ in range(5)]
    finally:
        server.stop()
    assert all(answer["resource"] for answer in answers)
    assert server.rate_limit.stats()["refused"] == 0  # no 429 was ever earned
    # Each wait covers the rest of the 5 s window (the Reset header is whole seconds, read a
    # moment later on a busy machine) and stays under the client's 10 s cap.
    assert len(clock.slept) == 2 and all(5 <= s <= 10 for s in clock.slept)


def test_a_long_spent_window_is_not_waited_and_nothing_is_sent():
    from followups.errors import ProviderRateLimited

    clock = Clock()
    server, base = start_sandbox(tenants=True, rate_limit=RateLimiter(2, 60.0, clock=clock))
    try:
        with calendly_client(base, clock) as client:
            me(client), me(client)
            with pytest.raises(ProviderRateLimited):
                me(client)
    finally:
        server.stop()
    assert (server.rate_limit.stats()["served"], server.rate_limit.stats()["refused"]) == (2, 0)
    assert clock.slept == []
