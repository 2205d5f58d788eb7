"""Admins write the templates: only whitelisted placeholders, plain strings, the lead's zone."""

import datetime as dt
import zoneinfo

import pytest

from booking.offers import format_time as offers_format_time
from followups import templating
from workspaces.formatting import format_time

MEETING = dt.datetime(2030, 12, 3, 15, 0, tzinfo=dt.UTC)
MEETING_FIELDS = templating.allowed_for("post_booking")
LEAD_ONLY = templating.allowed_for("no_response")


def test_times_read_the_same_as_the_offers_do():
    for zone in ("America/New_York", "America/Chicago", "Europe/Paris", "Asia/Kolkata"):
        tz = zoneinfo.ZoneInfo(zone)
        assert format_time(MEETING, tz) == offers_format_time(MEETING, tz)
    assert format_time(MEETING, "America/New_York") == "Tue Dec 3, 10:00 AM EST"


@pytest.mark.parametrize(
    "text",
    [
        "{first_name.__class__}",
        "{lead.email}",
        "{password}",
        "{first_name!r}",
        "{{first_name}",
        "Hi {first_name",
        "Hi first_name}",
    ],
)
def test_anything_but_a_known_placeholder_is_refused(text):
    assert templating.check(text, allowed=MEETING_FIELDS)


def test_meeting_placeholders_are_refused_where_there_is_no_meeting():
    problem = templating.check("See you {meeting_time}", allowed=LEAD_ONLY)
    assert "only known in sequences about a meeting" in problem
    assert templating.check("See you {meeting_time}", allowed=MEETING_FIELDS) == ""


def test_rendering_fills_placeholders_and_keeps_literal_braces(lead):
    values = templating.values_for(lead=lead, meeting_at=MEETING)
    text = templating.render("Hi {first_name}: {meeting_time} {{ok}}", values)
    assert text == "Hi Jordan: Tue Dec 3, 9:00 AM CST {ok}"  # the lead is in Chicago


def test_a_lead_without_a_first_name_is_greeted_plainly(workspace):
    from tests.factories import LeadFactory

    lead = LeadFactory(workspace=workspace, first_name="", last_name="")
    values = templating.values_for(lead=lead)
    assert templating.render("Hi {first_name},", values) == "Hi there,"
