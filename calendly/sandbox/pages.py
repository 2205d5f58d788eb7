"""The public pages a lead sees: each event type's booking page at its ``scheduling_url`` (and
at a single-use link's ``booking_url``), and the invitee's ``cancel_url`` and ``reschedule_url``.

They change the sandbox exactly as the API and the controls do, so the same signed webhooks
leave: ``invitee.created`` for a booking, ``invitee.canceled`` for a cancellation, and for a
reschedule the old invitee's ``invitee.canceled`` (``rescheduled: true``) then the new one's
``invitee.created``. Pre-fill query parameters work as on Calendly: ``name``, ``first_name``,
``last_name``, ``email``, ``a1``…``a10`` and the ``utm_*`` values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from . import inputs, templates
from .errors import ApiError, invalid
from .http import PAGE, Html, Request, Routes, SandboxHandler
from .inputs import parse_time

ROUTES = Routes()
# The owner and booking pages answer any ``/<slug>[/<slug>]``: they are matched after the
# invitee's pages and single-use links (added to ROUTES at the end of this module).
BY_SLUG = Routes()
SLUG = r"[a-z0-9][a-z0-9-]*"
# A booking link, optionally with a start to the minute in UTC, as available times link it.
BOOKING_LINK = rf"/({SLUG})/({SLUG})(?:/(\d{{4}}-\d\d-\d\dT\d\d:\d\d))?"
SHOWN_DAYS = 7


def _page(status: int, title: str, body: str) -> tuple:
    return status, Html(templates.document(title, body))


def _message(status: int, title: str, text: str) -> tuple:
    return status, Html(templates.message_page(title, text))


# Booking


@BY_SLUG.route("GET", rf"/({SLUG})", PAGE)
def profile_page(handler: SandboxHandler, request: Request) -> tuple:
    """The owner's page: a link to each of its active event types."""
    state = handler.state
    owned = [
        e
        for e in state.event_types.values()
        if e["active"] and e["scheduling_url"].startswith(f"{state.base_url}{request.path}/")
    ]
    if not owned:
        return _message(404, "Page not found", "This Calendly URL is not valid.")
    items = "".join(
        f'<li><a href="{escape(e["scheduling_url"])}">{escape(e["name"])}</a> '
        f"({e['duration']} min)</li>"
        for e in owned
    )
    name = owned[0]["profile"]["name"]
    return _page(200, name, f"<h1>{escape(name)}</h1><ul>{items}</ul>")


@BY_SLUG.route("GET", BOOKING_LINK, PAGE)
def booking_page(handler: SandboxHandler, request: Request) -> tuple:
    event_type = _linked_event_type(handler, request)
    if event_type is None:
        return _message(404, "Page not found", "This Calendly URL is not valid.")
    return _booking_form(handler, event_type, request.query, chosen=request.match.group(3) or "")


@BY_SLUG.route("POST", BOOKING_LINK, PAGE)  # the form posts back to the page's own link
def book_from_page(handler: SandboxHandler, request: Request) -> tuple:
    event_type = _linked_event_type(handler, request)
    if event_type is None:
        return _message(404, "Page not found", "This Calendly URL is not valid.")
    return _book(handler, event_type, request.body)


def _linked_event_type(handler: SandboxHandler, request: Request) -> dict | None:
    return handler.state.event_type_at(f"/{request.match.group(1)}/{request.match.group(2)}")


@ROUTES.route("GET", r"/d/([^/]+)/([^/]+)", PAGE)
def single_use_page(handler: SandboxHandler, request: Request) -> tuple:
    link = _live_link(handler, request)
    if isinstance(link, tuple):
        return link
    event_type = handler.state.event_type(link["owner"])
    return _booking_form(handler, event_type, request.query)


@ROUTES.route("POST", r"/d/([^/]+)/([^/]+)", PAGE)
def book_from_single_use(handler: SandboxHandler, request: Request) -> tuple:
    link = _live_link(handler, request)
    if isinstance(link, tuple):
        return link
    answer = _book(handler, handler.state.event_type(link["owner"]), request.body)
    if answer[0] == 200:
        handler.state.link_uses[link["booking_url"]] -= 1
    return answer


def _live_link(handler: SandboxHandler, request: Request):
    state = handler.state
    url = f"{state.base_url}{request.path}"
    link = next((item for item in state.links if item["booking_url"] == url), None)
    if link is None:
        return _message(404, "Page not found", "This Calendly URL is not valid.")
    if state.link_uses.get(url, 0) < 1:
        return _message(410, "Link used", "This link has already been used.")
    return link


def _booking_form(handler, event_type: dict, values: dict, *, chosen="", error=None) -> tuple:
    state = handler.state
    if not event_type["active"]:
        return _message(404, "Not available", "This event type is not taking bookings.")
    now = datetime.now(UTC)
    starts = state.available_starts(event_type, now, now + timedelta(days=SHOWN_DAYS))
    zone = state.host_zone(event_type)
    chosen = values.get("start_time") or chosen
    body = (
        f"<h1>{escape(event_type['name'])}</h1>"
        f"<p>{escape(event_type['profile']['name'])} · {event_type['duration']} min</p>"
        f"{templates.alert(error)}<form method='post'>"
        f"{templates.time_picker(starts, zone, chosen)}"
        f"<h2>Enter details</h2>{_person_fields(event_type, values)}"
        f"{templates.hidden(_tracking(values))}"
        "<button type='submit'>Schedule Event</button></form>"
    )
    return _page(400 if error else 200, event_type["name"], body)


def _person_fields(event_type: dict, values: dict) -> str:
    name = values.get("name") or " ".join(
        part for part in (values.get("first_name"), values.get("last_name")) if part
    )
    fields = [
        templates.text_field("name", "Name", name),
        templates.text_field("email", "Email", values.get("email", ""), kind="email"),
    ]
    for position, question in enumerate(event_type["custom_questions"]):
        if question["enabled"]:
            key = f"a{position + 1}"
            fields.append(
                templates.text_field(
                    key, question["name"], values.get(key, ""), required=question["required"]
                )
            )
    return "".join(fields)


def _tracking(values: dict) -> dict[str, str]:
    return {key: values[key] for key in inputs.UTM_KEYS if values.get(key)}


def _book(handler: SandboxHandler, event_type: dict, form) -> tuple:
    state = handler.state
    form = form if isinstance(form, dict) else {}
    try:
        if not event_type["active"]:
            raise invalid("This event type is not taking bookings.")
        start = parse_time(form.get("start_time"), "start_time")
        person = inputs.invitee_input({**form, "timezone": state.host_zone(event_type)})
        person["questions_and_answers"] = inputs.answers(event_type, _answers(event_type, form))
        person["tracking"] = inputs.tracking(_tracking(form))
        if not state.is_free(event_type, start):
            raise invalid("The selected time is no longer available.", "start_time")
    except ApiError as exc:
        return _booking_form(handler, event_type, form, error=exc.body["message"])
    record = state.book(event_type, start, person, method=None)
    handler.server.deliver(state, "invitee.created", record)
    return _confirmation(state, record)


def _answers(event_type: dict, form: dict) -> list[dict]:
    return [
        {"question": q["name"], "answer": form.get(f"a{position + 1}", ""), "position": position}
        for position, q in enumerate(event_type["custom_questions"])
        if q["enabled"] and (form.get(f"a{position + 1}") or "").strip()
    ]


def _confirmation(state, record: dict) -> tuple:
    event = state.event_of(record)
    zone = state.host_zone(state.event_type(event["event_type"]))
    body = (
        "<h1>You are scheduled</h1>"
        f'<p role="status">A calendar invitation has been sent to {escape(record["email"])}.</p>'
        f"{templates.event_summary(event, zone)}{templates.invitee_links(record)}"
    )
    return _page(200, "You are scheduled", body)


# The invitee's own links


@ROUTES.route("GET", r"/cancellations/([^/]+)", PAGE)
def cancel_page(handler: SandboxHandler, request: Request) -> tuple:
    return _cancel_form(handler, request.match.group(1))


@ROUTES.route("POST", r"/cancellations/([^/]+)", PAGE)
def cancel_from_page(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    invitee = state.invitees.get(request.match.group(1))
    if invitee is None or invitee["status"] != "active":
        return _cancel_form(handler, request.match.group(1))
    form = request.body if isinstance(request.body, dict) else {}
    event = state.event_of(invitee)
    canceled = state.cancel_invitee(
        invitee,
        reason=str(form.get("reason") or ""),
        canceler_type="invitee",
        canceled_by=invitee["name"],
    )
    for record in canceled:
        handler.server.deliver(state, "invitee.canceled", record)
    zone = state.host_zone(state.event_type(event["event_type"]))
    body = (
        '<h1>Cancellation confirmed</h1><p role="status">Your event has been canceled.</p>'
        f"{templates.event_summary(event, zone)}"
    )
    return _page(200, "Canceled", body)


def _cancel_form(handler: SandboxHandler, invitee_uuid: str) -> tuple:
    state = handler.state
    invitee = state.invitees.get(invitee_uuid)
    if invitee is None:
        return _message(404, "Page not found", "This cancellation link is not valid.")
    event = state.event_of(invitee)
    zone = state.host_zone(state.event_type(event["event_type"]))
    summary = templates.event_summary(event, zone)
    if invitee["status"] != "active":
        return _page(200, "Canceled", f"<h1>This event is canceled</h1>{summary}")
    body = (
        f"<h1>Cancel event</h1>{summary}<form method='post'>"
        "<label for='reason'>Reason for canceling (optional)"
        "<textarea id='reason' name='reason' rows='3'></textarea></label>"
        "<button type='submit'>Cancel Event</button></form>"
    )
    return _page(200, "Cancel event", body)


@ROUTES.route("GET", r"/reschedulings/([^/]+)", PAGE)
def reschedule_page(handler: SandboxHandler, request: Request) -> tuple:
    return _reschedule_form(handler, request.match.group(1))


@ROUTES.route("POST", r"/reschedulings/([^/]+)", PAGE)
def reschedule_from_page(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    old = state.invitees.get(request.match.group(1))
    if old is None or old["status"] != "active":
        return _reschedule_form(handler, request.match.group(1))
    form = request.body if isinstance(request.body, dict) else {}
    try:
        new = state.reschedule(old, parse_time(form.get("start_time"), "start_time"))
    except ApiError as exc:
        return _reschedule_form(handler, request.match.group(1), error=exc.body["message"])
    handler.server.deliver(state, "invitee.canceled", old)
    handler.server.deliver(state, "invitee.created", new)
    return _confirmation(state, new)


def _reschedule_form(handler: SandboxHandler, invitee_uuid: str, error=None) -> tuple:
    state = handler.state
    invitee = state.invitees.get(invitee_uuid)
    if invitee is None:
        return _message(404, "Page not found", "This rescheduling link is not valid.")
    event = state.event_of(invitee)
    event_type = state.event_type(event["event_type"])
    zone = state.host_zone(event_type)
    summary = templates.event_summary(event, zone)
    if invitee["status"] != "active":
        return _page(200, "Canceled", f"<h1>This event is canceled</h1>{summary}")
    now = datetime.now(UTC)
    starts = state.available_starts(event_type, now, now + timedelta(days=SHOWN_DAYS))
    body = (
        f"<h1>Reschedule event</h1><h2>Former time</h2>{summary}{templates.alert(error)}"
        f"<form method='post'>{templates.time_picker(starts, zone)}"
        "<button type='submit'>Reschedule Event</button></form>"
    )
    return _page(400 if error else 200, "Reschedule event", body)


ROUTES.table += BY_SLUG.table
