"""Sandbox-only controls under ``/_sandbox/`` (no token): act as a lead or a host, look at
everything, change the sandbox's settings, make calls fail, start afresh."""

from __future__ import annotations

from http import HTTPStatus

from . import inputs
from .errors import invalid, not_found
from .http import CONTROL, Request, Routes, SandboxHandler, resource
from .inputs import int_param, object_body, parse_time, seconds_param
from .records import last_segment, new_uuid, now_iso
from .state import Failure

ROUTES = Routes()


@ROUTES.route("POST", r"/_sandbox/book", CONTROL)
def control_book(handler: SandboxHandler, request: Request) -> tuple:
    """A lead books through the public booking page (pre-filled, with UTM values)."""
    state = handler.state
    body = object_body(request.body)
    event_type = state.event_type(body.get("event_type") or "discovery-call")
    if body.get("start_time"):
        start = parse_time(body["start_time"], "start_time")
        if not state.is_free(event_type, start):
            raise invalid("The selected time is no longer available.", "start_time")
    else:
        start = state.first_free(event_type)
    person = inputs.invitee_input({"timezone": state.user["timezone"], **body})
    answers = body.get("questions_and_answers") or []
    answered = {a.get("question") for a in answers if isinstance(a, dict)}
    answers += [
        {"question": q["name"], "answer": "Sandbox answer"}
        for q in event_type["custom_questions"]
        if q["required"] and q["name"] not in answered
    ]
    person["questions_and_answers"] = inputs.answers(event_type, answers)
    tracking = dict(body.get("tracking") or {})
    tracking.update({key: body[key] for key in inputs.UTM_KEYS if body.get(key)})
    person["tracking"] = inputs.tracking(tracking)
    record = state.book(event_type, start, person, method=None)
    handler.server.deliver(state, "invitee.created", record)
    return resource(201, record)


@ROUTES.route("POST", r"/_sandbox/cancel", CONTROL)
def control_cancel(handler: SandboxHandler, request: Request) -> tuple:
    """The invitee (default) or the host cancels: ``{invitee | event, reason, canceler_type}``."""
    state = handler.state
    body = object_body(request.body)
    canceler_type = body.get("canceler_type") or "invitee"
    reason = str(body.get("reason") or "")
    if body.get("invitee") and canceler_type == "invitee":
        invitee = state.invitee(body["invitee"])
        event = state.event_of(invitee)
        canceled = state.cancel_invitee(
            invitee, reason=reason, canceler_type="invitee", canceled_by=invitee["name"]
        )
    else:
        event = _event(state, body)
        canceled_by = state.user["name"] if canceler_type == "host" else "Invitee"
        canceled = state.cancel(
            event, reason=reason, canceler_type=canceler_type, canceled_by=canceled_by
        )
    for record in canceled:
        handler.server.deliver(state, "invitee.canceled", record)
    return resource(200, event)


def _event(state, body: dict) -> dict:
    """The scheduled event named by ``event``, or the one of ``invitee``."""
    if body.get("invitee"):
        return state.event_of(state.invitee(body["invitee"]))
    event = state.events.get(last_segment(body.get("event") or ""))
    if event is None:
        raise not_found()
    return event


@ROUTES.route("POST", r"/_sandbox/reschedule", CONTROL)
def control_reschedule(handler: SandboxHandler, request: Request) -> tuple:
    """The invitee moves the booking: ``{invitee, start_time}``. Sends the old invitee's
    ``invitee.canceled`` (rescheduled) and the new one's ``invitee.created``."""
    state = handler.state
    body = object_body(request.body)
    old = state.invitee(body.get("invitee"))
    new = state.reschedule(old, parse_time(body.get("start_time"), "start_time"))
    handler.server.deliver(state, "invitee.canceled", old)
    handler.server.deliver(state, "invitee.created", new)
    return resource(201, new)


@ROUTES.route("POST", r"/_sandbox/no_show", CONTROL)
def control_no_show(handler: SandboxHandler, request: Request) -> tuple:
    """Mark (or with ``remove: true`` unmark) an invitee as a no-show."""
    state = handler.state
    body = object_body(request.body)
    invitee = state.invitee(body.get("invitee"))
    now = now_iso()
    if body.get("remove"):
        if not invitee["no_show"]:
            raise invalid("The invitee is not marked as a no-show", "invitee")
        invitee.update(no_show=None, updated_at=now)
        handler.server.deliver(state, "invitee_no_show.deleted", invitee)
    else:
        no_show = {"uri": state.uri("invitee_no_shows", new_uuid()), "created_at": now}
        invitee.update(no_show=no_show, updated_at=now)
        handler.server.deliver(state, "invitee_no_show.created", invitee)
    return resource(200, invitee)


@ROUTES.route("POST", r"/_sandbox/role", CONTROL)
def control_role(handler: SandboxHandler, request: Request) -> tuple:
    """``{role: owner | admin | user, user?: URI or e-mail}``: a member's role in the
    organization (default: the token's user)."""
    state = handler.state
    body = object_body(request.body)
    person = state.org.person(body.get("user") or state.user["uri"])
    state.org.set_role(person, body.get("role"))
    return 200, {"user": person["uri"], "role": state.org.roles[person["uri"]]}


@ROUTES.route("POST", r"/_sandbox/reassign", CONTROL)
def control_reassign(handler: SandboxHandler, request: Request) -> tuple:
    """``{event | invitee, host: URI or e-mail}``: another member hosts the scheduled event,
    as when a round robin's booking is reassigned (seen in ``GET /scheduled_events``)."""
    state = handler.state
    body = object_body(request.body)
    event = _event(state, body)
    if event["status"] != "active":
        raise invalid("The event is canceled", "event")
    state.reassign(event, state.org.person(body.get("host")))
    return resource(200, event)


@ROUTES.route("GET", r"/_sandbox/state", CONTROL)
def control_state(handler: SandboxHandler, request: Request) -> tuple:
    return 200, handler.state.snapshot()


@ROUTES.route("POST", r"/_sandbox/subscriptions/([^/]+)/disable", CONTROL)
def control_disable(handler: SandboxHandler, request: Request) -> tuple:
    """As Calendly does after 24 hours of failed deliveries."""
    subscription = handler.state.subscriptions.get(request.match.group(1))
    if subscription is None:
        raise not_found()
    now = now_iso()
    subscription.update(state="disabled", retry_started_at=now, updated_at=now)
    return resource(200, subscription)


@ROUTES.route("POST", r"/_sandbox/config", CONTROL)
def control_config(handler: SandboxHandler, request: Request) -> tuple:
    """``{scopes: [...] | null, scheduling_api: bool, max_window_days: int,
    oauth_client_id, oauth_client_secret, availability: [iso start, ...] | null,
    sync_deliveries: bool}``; keys left out stay as they are.

    ``availability`` makes exactly those starts free (any day, any hour; bookings still take
    them), ``null`` goes back to weekday office hours. ``sync_deliveries`` sends each webhook
    before the answer to the call that caused it."""
    state = handler.state
    body = object_body(request.body)
    if "availability" in body:
        state.availability = inputs.availability(body["availability"])
    if "sync_deliveries" in body:
        state.sync_deliveries = bool(body["sync_deliveries"])
    if "scopes" in body:
        state.scopes = None if body["scopes"] is None else set(body["scopes"])
    if "scheduling_api" in body:
        state.scheduling_api = bool(body["scheduling_api"])
    if "max_window_days" in body:
        state.max_window_days = int_param(body["max_window_days"], "max_window_days")
    for key in ("oauth_client_id", "oauth_client_secret"):
        if key in body:
            setattr(state, key, body[key])
    snapshot = state.snapshot()
    keys = ("scopes", "scheduling_api", "max_window_days", "availability", "sync_deliveries")
    return 200, {key: snapshot[key] for key in keys}


@ROUTES.route("POST", r"/_sandbox/reset", CONTROL)
def control_reset(handler: SandboxHandler, request: Request) -> tuple:
    """Forget everything (bookings, subscriptions, links, failures, config): a fresh sandbox at
    the same address, so one server can serve many tests."""
    handler.server.reset()
    return 200, {"reset": True}


@ROUTES.route("POST", r"/_sandbox/fail", CONTROL)
def control_fail(handler: SandboxHandler, request: Request) -> tuple:
    """The next ``times`` calls to ``method`` + ``path`` (a regex) answer ``status`` with
    ``headers`` and ``body``; or, with ``status`` 0 and a ``delay``, do the work and answer late;
    or, with ``perform: true`` and a status, do the work and answer that status anyway."""
    body = object_body(request.body)
    status = int_param(body.get("status", 0), "status")
    if status and status not in {member.value for member in HTTPStatus}:
        raise invalid("status must be an HTTP status", "status")
    phrase = HTTPStatus(status).phrase if status else ""
    injected = {"title": phrase, "message": "Injected by the sandbox."}
    failure = Failure(
        method=str(body.get("method", "GET")).upper(),
        path=str(body.get("path", "")),
        status=status,
        times=int_param(body.get("times", 1), "times"),
        headers={str(k): str(v) for k, v in (body.get("headers") or {}).items()},
        body=body.get("body") or (injected if status else None),
        delay=seconds_param(body.get("delay", 0), "delay"),
        perform=bool(body.get("perform", False)),
    )
    handler.state.failures.append(failure)
    return 201, {"queued": len(handler.state.failures)}
