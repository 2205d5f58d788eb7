"""The appointments week view as a setter reads it: the right week, each meeting on its local
day, statuses told apart, filters and zone kept in the URL."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from booking.models import Appointment
from tests.factories import AppointmentFactory, LeadFactory, MembershipFactory

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# Thursday Dec 3 2026, 10:00 in New York.
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=NEW_YORK)


@pytest.fixture
def setter_client(client, workspace):
    workspace.timezone = "America/New_York"
    workspace.save()
    client.force_login(MembershipFactory(workspace=workspace, role="setter").user)
    return client


def week_url(workspace, **params):
    url = reverse("appointment_week", args=[workspace.public_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def meeting(workspace, when, status=Appointment.Status.BOOKED, name="Jordan"):
    lead = LeadFactory(workspace=workspace, first_name=name, last_name="Day")
    return AppointmentFactory(lead=lead, start_at=when, status=status)


@time_machine.travel(NOW, tick=False)
def test_this_week_shows_each_meeting_on_its_local_day_and_marks_today(setter_client, workspace):
    # 11:30 PM Tuesday in New York is already Wednesday in UTC: it belongs to Tuesday here.
    meeting(workspace, dt.datetime(2026, 12, 1, 23, 30, tzinfo=NEW_YORK), name="Late")
    meeting(workspace, dt.datetime(2026, 12, 3, 15, 0, tzinfo=NEW_YORK), name="Today")
    meeting(workspace, dt.datetime(2026, 12, 8, 9, 0, tzinfo=NEW_YORK), name="NextWeek")

    response = setter_client.get(week_url(workspace))

    days = response.context["days"]
    assert [d.date.isoformat() for d in days][0] == "2026-11-30"  # the Monday
    assert [s.appointment.lead.first_name for s in days[1].appointments] == ["Late"]
    assert [d.is_today for d in days] == [False, False, False, True, False, False, False]
    html = response.content.decode()
    assert 'title="Tue Dec 1, 11:30 PM EST">11:30 PM</time>' in html
    assert "NextWeek" not in html
    assert [s.appointment.lead.first_name for s in response.context["today_appointments"]] == [
        "Today"
    ]


@time_machine.travel(NOW, tick=False)
def test_statuses_are_drawn_differently(setter_client, workspace):
    for status, name in (("booked", "Booked"), ("canceled", "Canceled"), ("no_show", "Noshow")):
        meeting(workspace, dt.datetime(2026, 12, 2, 9, 0, tzinfo=NEW_YORK), status, name=name)

    html = setter_client.get(week_url(workspace)).content.decode()

    assert html.count('class="slot status-booked"') == 2  # the grid and the legend
    assert html.count('class="slot status-canceled"') == 2
    assert html.count('class="slot status-no_show"') == 2


@time_machine.travel(NOW, tick=False)
def test_previous_and_next_weeks_keep_the_filters_and_the_zone(setter_client, workspace):
    meeting(workspace, dt.datetime(2026, 11, 24, 9, 0, tzinfo=NEW_YORK), "canceled", "Before")

    response = setter_client.get(
        week_url(workspace, week="2026-11-26", status="canceled", zone="Europe/Paris")
    )

    assert response.context["week"].monday == dt.date(2026, 11, 23)
    assert 'title="Tue Nov 24, 3:00 PM CET"' in response.content.decode()
    assert "week=2026-11-16" in response.context["prev_query"]
    assert "status=canceled" in response.context["next_query"]
    assert "zone=Europe%2FParis" in response.context["next_query"]


@time_machine.travel(NOW, tick=False)
def test_a_bad_week_or_zone_falls_back_to_this_week_in_the_workspace_zone(setter_client, workspace):
    response = setter_client.get(week_url(workspace, week="2026-13-45", zone="Mars/Olympus"))

    assert response.status_code == 200
    assert response.context["week"].monday == dt.date(2026, 11, 30)
    assert response.context["tz"].key == "America/New_York"


def test_a_non_member_gets_a_404(client, workspace):
    client.force_login(MembershipFactory(role="setter").user)
    assert client.get(week_url(workspace)).status_code == 404


@pytest.mark.parametrize("page", ["appointment_week", "appointment_list"])
def test_a_live_poll_redraws_only_when_an_appointment_changed(setter_client, workspace, page):
    url = reverse(page, args=[workspace.public_id])
    version = setter_client.get(url).context["version"]

    assert setter_client.get(url, HTTP_X_SEEN_VERSION=version).status_code == 204

    meeting(workspace, dt.datetime.now(tz=NEW_YORK) + dt.timedelta(hours=1), name="Arrived")
    response = setter_client.get(url, HTTP_X_SEEN_VERSION=version)
    assert response.status_code == 200 and "Arrived" in response.content.decode()
