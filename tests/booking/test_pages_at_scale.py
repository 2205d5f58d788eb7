"""The appointments pages stay the same size as the workspace grows: the lists page by keyset
("Later"/"Older" walk every meeting once, however many share a start), a week view's busy day
draws its first meetings and counts the rest, the host filter lists each host once, and each
page runs as many statements for 2 meetings as for 40 (an N+1 would fail here)."""

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.selectors import appointments_version, hosts_of
from booking.week import DAY_LIMIT
from tests.factories import AppointmentFactory, LeadFactory, MembershipFactory

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=NEW_YORK)  # a Thursday
LINK = re.compile(r'href="\?([^"]*(?:after|before)=[^"]*)">([^<]+)</a>')
PAGE = 25


@pytest.fixture
def setter(client, workspace):
    workspace.timezone = "America/New_York"
    workspace.save()
    client.force_login(MembershipFactory(workspace=workspace, role="setter").user)
    return client


def links(response) -> dict[str, str]:
    html = response.content.decode()
    return {text.strip(): href.replace("&amp;", "&") for href, text in LINK.findall(html)}


def ids(response) -> list[int]:
    return [a.pk for a in response.context["page"].object_list]


def meetings(workspace, n, *, start, step=dt.timedelta(0), **fields):
    leads = [LeadFactory(workspace=workspace) for _ in range(n)]
    return [
        AppointmentFactory(lead=lead, start_at=start + i * step, **fields)
        for i, lead in enumerate(leads)
    ]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("when", "later", "step"), [("upcoming", 1, 0), ("past", -1, 7)])
def test_the_lists_walk_every_meeting_once_forward_and_back(setter, workspace, when, later, step):
    # Upcoming: all at the same minute (ties on start_at); past: a week apart.
    made = meetings(
        workspace,
        2 * PAGE + 3,
        start=NOW + later * dt.timedelta(days=1),
        step=later * dt.timedelta(days=step),
    )
    base = reverse("appointment_list", args=[workspace.public_id])
    url = f"{base}?when={when}"
    onward = "Later →" if when == "upcoming" else "Older →"
    back_word = "← Sooner" if when == "upcoming" else "← Newer"
    pages = [setter.get(url)]
    while onward in links(pages[-1]):
        pages.append(setter.get(f"{base}?{links(pages[-1])[onward]}"))
    seen = [pk for page in pages for pk in ids(page)]
    assert sorted(seen) == sorted(a.pk for a in made) and len(seen) == len(set(seen))
    starts = [a.start_at for page in pages for a in page.context["page"].object_list]
    assert starts == sorted(starts, reverse=when == "past")
    back = [pages[-1]]
    while back_word in links(back[-1]):
        back.append(setter.get(f"{base}?{links(back[-1])[back_word]}"))
    assert [ids(p) for p in back] == [ids(p) for p in reversed(pages)]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("query", ["page=7", "page=x", "after=nonsense", "before=1.2.3"])
def test_an_old_or_edited_appointments_link_shows_the_first_page(setter, workspace, query):
    meetings(workspace, PAGE + 1, start=NOW + dt.timedelta(hours=2), step=dt.timedelta(hours=1))
    url = reverse("appointment_list", args=[workspace.public_id])
    response = setter.get(f"{url}?{query}")
    assert response.status_code == 200
    assert ids(response) == ids(setter.get(url))


@time_machine.travel(NOW, tick=False)
def test_a_busy_day_draws_its_first_meetings_and_counts_the_rest(setter, workspace):
    friday = dt.datetime(2026, 12, 4, 8, 0, tzinfo=NEW_YORK)
    busy = meetings(workspace, DAY_LIMIT + 5, start=friday, step=dt.timedelta(minutes=10))
    meetings(workspace, 2, start=NOW + dt.timedelta(hours=1))  # today, Thursday
    response = setter.get(reverse("appointment_week", args=[workspace.public_id]))
    days = {day.date: day for day in response.context["days"]}
    shown = days[friday.date()].appointments
    assert [s.appointment.pk for s in shown] == [a.pk for a in busy[:DAY_LIMIT]]
    assert days[friday.date()].more == 5
    assert len(days[NOW.date()].appointments) == 2 and days[NOW.date()].more == 0
    assert "and 5 more" in response.content.decode()


# The week view: session, user, workspace, role, the live version, then for today's list and
# for the week the ranking (ids only, from the index), the drawn rows and their leads, and the
# workspace switcher.
WEEK_STATEMENTS = 12


@time_machine.travel(NOW, tick=False)
def test_the_week_view_reads_only_what_it_draws(setter, workspace):
    friday = dt.datetime(2026, 12, 4, 8, 0, tzinfo=NEW_YORK)
    meetings(workspace, DAY_LIMIT + 5, start=friday, step=dt.timedelta(minutes=10))
    meetings(workspace, 3, start=NOW + dt.timedelta(hours=1), status="canceled")
    with CaptureQueriesContext(connection) as queries:
        response = setter.get(reverse("appointment_week", args=[workspace.public_id]))
    assert response.status_code == 200
    assert len(queries.captured_queries) <= WEEK_STATEMENTS
    sqls = [q["sql"] for q in queries.captured_queries]
    ranked = [sql for sql in sqls if "ROW_NUMBER" in sql.upper()]
    assert len(ranked) == 2  # today's list and the week, each one statement
    # The ranking reads ids and start times only (all in an index), and the drawn rows only the
    # columns a slot shows: not the hosts, the provider's ids, the reasons...
    assert all('"lead_id"' not in sql and '"status"' not in sql for sql in ranked)
    drawn = [sql for sql in sqls if 'FROM "booking_appointment"' in sql and sql not in ranked]
    assert all('"hosts"' not in sql and '"external_id"' not in sql for sql in drawn)
    html = response.content.decode()
    assert html.count("· Canceled · GoHighLevel</span></a></li>") == 3  # today: status, provider
    assert "and 5 more" in html


def test_each_host_is_listed_once_with_a_name(workspace):
    lead = LeadFactory(workspace=workspace)
    for email, name in [("b@x.example", "Blake"), ("a@x.example", ""), ("a@x.example", "Avery")]:
        for _ in range(3):
            AppointmentFactory(lead=lead, host_email=email, host_name=name)
    AppointmentFactory(lead=lead)  # no host
    AppointmentFactory(host_email="c@elsewhere.example", host_name="Other workspace")
    assert hosts_of(workspace=workspace) == [("a@x.example", "Avery"), ("b@x.example", "Blake")]


def test_the_live_version_moves_when_a_meeting_is_added_or_changes(workspace):
    before = appointments_version(workspace=workspace)
    appointment = AppointmentFactory(lead=LeadFactory(workspace=workspace))
    added = appointments_version(workspace=workspace)
    appointment.status = "canceled"
    appointment.save()
    assert len({before, added, appointments_version(workspace=workspace)}) == 3


def _statements(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "page",
    ["upcoming", "past", "week", "lead", "api", "api_week", "messages_api"],
)
def test_a_page_runs_as_many_statements_for_2_meetings_as_for_40(
    setter, workspace, page, django_assert_max_num_queries
):
    lead = LeadFactory(workspace=workspace)
    w = workspace.public_id

    def add(n):
        for i in range(n):
            for sign in (1, -1):  # upcoming and past, on the lead page too
                AppointmentFactory(
                    lead=lead if i % 2 else LeadFactory(workspace=workspace),
                    start_at=NOW + sign * dt.timedelta(hours=1 + i),
                    host_email=f"host{i % 3}@x.example",
                )

    urls = {
        "upcoming": reverse("appointment_list", args=[w]),
        "past": reverse("appointment_list", args=[w]) + "?when=past",
        "week": reverse("appointment_week", args=[w]),
        "lead": reverse("lead_detail", args=[w, lead.pk]),
        "api": reverse("api_appointments", args=[w]),
        "api_week": reverse("api_appointments", args=[w])
        + "?from=2026-11-30T00:00:00Z&to=2026-12-07T00:00:00Z",
        "messages_api": reverse("api_lead_messages", args=[w, lead.pk]),
    }
    add(1)
    few = _statements(setter, urls[page])
    add(20)
    with django_assert_max_num_queries(few):
        assert setter.get(urls[page]).status_code == 200
