"""No page or API answer of workspace B reaches a member of workspace A, and nothing of B changes
for them, whatever their role: EVERY URL pattern of the project (``get_resolver()``, walked
recursively, so patterns added later are walked without editing this file) is filled with B's
ids and requested with GET and POST.

A pattern that names B's data (``workspace_id``, ``lead_id``, ``object_id``…) must answer 404,
403, 405 or 401, or redirect to a login page. Every answer, whatever the pattern, must be free of
B's names, addresses and secrets, and B's rows must be the same after the walk (webhook
refusal counters aside: anyone may knock on a webhook door, and knocks are counted).

A control walk as staff proves the filled URLs are B's real objects (not 404 for them), so the
404s above are the access rules at work and not a typo in an id. A parameter the walk cannot
fill fails the test, naming the pattern: fill it below.

With an API key the admin and booking APIs reach every workspace by design (the key is the
provisioning system's); those answers are allowed, and only checked for server errors. Pages
never accept a key.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import UUIDConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework_api_key.models import APIKey

from booking.inbound import receive_message
from booking.offers import Candidate, store_offer
from ghl import connection as ghl_connection
from integrations import connections, inbox
from integrations.models import Connection
from tests import factories
from workspaces.models import Lead, Membership, Workspace

pytestmark = pytest.mark.django_db

METHODS = ("get", "post")
# What a POST carries: the fields the project's forms and APIs read, so a view that validated
# its input before checking access would get as far as the object.
POSTED = {
    "channel": "sms",
    "body": "From the walk",
    "count": 1,
    "enabled": "on",
    "booking_provider": "ghl",
    "state": "done",
    "name": "Walked",
    "position": 1,
}
DENIED = {401, 403, 404, 405}
# Counters a refused webhook request moves, whoever sends it.
REFUSAL_FIELDS = {
    Connection: {"rejected_count", "last_rejected_at", "last_rejected_reason", "updated_at"}
}
# Patterns that answer 404 to everyone for B's objects, whoever asks, and why.
NO_PAGE_FOR_ANYONE = {
    "admin:view_on_site": "Django admin's 'view on site' needs get_absolute_url; no model has one",
}
# Parameters that name no workspace's data: the pattern is not B's by having them.
NOT_DATA = {"app_label", "url", "uidb64", "token", "content_type_id", "provider"}


# The patterns


@dataclass(frozen=True)
class Route:
    parts: tuple  # the pattern objects from the root resolver down
    callback: Callable
    params: tuple[str, ...]
    converters: dict
    name: str  # with its namespace: "admin:view_on_site"

    @property
    def text(self) -> str:
        return "".join(str(part) for part in self.parts)

    @property
    def names_b_data(self) -> bool:
        return any(name not in NOT_DATA for name in self.params)

    @property
    def names_objects_inside_a_workspace(self) -> bool:
        """``workspace_id`` and another id of that workspace's data (a lead, a delivery...)."""
        data = [name for name in self.params if name not in NOT_DATA]
        return "workspace_id" in data and len(data) > 1

    @property
    def is_api(self) -> bool:
        return self.text.startswith("api/")

    @property
    def model_admin(self):
        return getattr(self.callback, "model_admin", None)


def all_routes(resolver=None, parts=(), namespace="") -> list[Route]:
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += all_routes(entry, (*parts, entry.pattern), inner)
            continue
        assert isinstance(entry, URLPattern)
        chain = (*parts, entry.pattern)
        params, converters = [], {}
        for part in chain:
            params += list(part.regex.groupindex)
            converters.update(getattr(part, "converters", {}))
        name = f"{namespace}{entry.name}" if entry.name else ""
        routes.append(Route(chain, entry.callback, tuple(params), converters, name))
    return routes


def build_path(route: Route, values: dict) -> str:
    path = "".join(_fill_part(part, values, route) for part in route.parts)
    match = resolve(f"/{path}")
    assert match.func == route.callback and set(match.kwargs) == set(values), (
        f"/{path} does not lead back to the pattern {route.text!r}"
    )
    return f"/{path}"


def _fill_part(part, values: dict, route: Route) -> str:
    if isinstance(part, RoutePattern):
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m[1]]), str(part))
    assert isinstance(part, RegexPattern)
    text = re.sub(r"\(\?P<(\w+)>[^()]*\)", lambda m: str(values[m[1]]), str(part))
    text = text.removeprefix("^").removesuffix("$")
    if re.search(r"[()\[\]\\*+?|^$]", text):
        pytest.fail(f"The walk cannot build a path for the regex pattern {route.text!r}")
    return text


# Workspace B and its data


@dataclass
class World:
    a: Workspace
    b: Workspace
    b_admin: object
    b_lead: Lead
    markers: list[str] = field(default_factory=list)


@pytest.fixture
def world(settings) -> World:
    settings.GHL_API_BASE = "http://127.0.0.1:9"  # a provider call is refused, never sent out
    a = factories.WorkspaceFactory(name="Alpha Agency Client")
    b = factories.WorkspaceFactory(name="Bravo Confidential Holdings")
    b_admin = factories.MembershipFactory(
        workspace=b, role="admin", user__email="bravo.admin@secret.example"
    ).user
    lead = factories.LeadFactory(
        workspace=b, first_name="Brunhilde", last_name="Bravo", email="brunhilde@secret.example"
    )
    connections.connect(
        workspace=b,
        provider="ghl",
        secrets={"access_token": "pit-bravo-secret-token-9876"},
        config={"location_id": "loc-bravo", "calendar_id": "cal-bravo"},
        display_name="Bravo Location Secret",
        token_hint="9876",
    )
    secret = ghl_connection.new_workflow_secret(workspace=b)
    start = timezone.now() + timedelta(days=3)
    store_offer(
        lead=lead,
        candidates=[Candidate(start=start, end=start + timedelta(minutes=30))],
        zone=zoneinfo.ZoneInfo("America/Chicago"),
    )
    factories.AppointmentFactory(lead=lead, external_id="bravo-appointment-1")
    receive_message(
        lead=lead,
        channel="sms",
        body="Bravo private reply text",
        received_at=timezone.now(),
        provider="ghl",
        provider_message_id="bravo-msg-1",
    )
    inbox.record_failed_delivery(
        provider="ghl",
        workspace=b,
        body=b"bravo-delivery-body not json",
        headers={},
        error="body is not JSON",
        event="workflow.",
    )
    markers = [
        b.name,
        "bravo.admin@secret.example",
        "brunhilde@secret.example",
        "Brunhilde",
        "Bravo Location Secret",
        "pit-bravo-secret-token-9876",
        secret,
        "Bravo private reply text",
        "bravo-delivery-body",
    ]
    return World(a=a, b=b, b_admin=b_admin, b_lead=lead, markers=markers)


def workspace_path(model, depth: int = 2) -> str | None:
    """The lookup from ``model`` to its workspace ("workspace", "offer__workspace"...)."""
    if model is Workspace:
        return "pk"
    relations = [f for f in model._meta.concrete_fields if f.many_to_one or f.one_to_one]
    for relation in relations:
        if relation.related_model is Workspace:
            return relation.name
    if depth > 1:
        for relation in relations:
            deeper = workspace_path(relation.related_model, depth - 1)
            if deeper and deeper != "pk":
                return f"{relation.name}__{deeper}"
    return None


def rows_of(model, workspace):
    path = workspace_path(model)
    return model.objects.filter(**{path: workspace.pk}).order_by("pk") if path else None


def snapshot(workspace) -> dict:
    """Every row of every model that belongs to ``workspace``, as values; refusal counters
    aside (and a connection row that holds nothing else, made to count a refused webhook)."""
    shot = {}
    for model in apps.get_models():
        rows = rows_of(model, workspace)
        if rows is None:
            continue
        skip = REFUSAL_FIELDS.get(model, set())
        values = [{k: v for k, v in row.items() if k not in skip} for row in rows.values()]
        if model is Connection:
            values = [row for row in values if not _only_counts_refusals(row)]
        shot[model._meta.label] = values
    return shot


def _only_counts_refusals(row: dict) -> bool:
    return row["status"] == Connection.Status.DISCONNECTED and not (
        row["config"] or row["display_name"] or row["connected_at"] or row["token_hint"]
    )


# Filling parameters with B's ids


class Unfillable(Exception):
    pass


def fill(route: Route, world: World, *, door: Workspace | None = None) -> dict:
    """B's ids for every parameter; with ``door``, that workspace's id for ``workspace_id``
    (A's own pages asked for B's objects)."""
    values, taken = {}, {}
    for name in route.params:
        values[name] = _value(name, route, world, taken)
    if door is not None:
        values["workspace_id"] = door.public_id
    return values


def _value(name: str, route: Route, world: World, taken: dict):
    b = world.b
    if name == "workspace_id":
        return b.public_id
    if name == "id":  # the provisioning API's workspace, or Django admin's user password page
        return (
            b.public_id
            if isinstance(route.converters.get("id"), UUIDConverter)
            else world.b_admin.pk
        )
    if name == "provider":
        return "ghl"
    if name == "app_label":
        return "workspaces"
    if name == "url":
        return "no-such-admin-page/"  # only the admin catch-all takes it
    if name == "uidb64":
        return urlsafe_base64_encode(force_bytes(world.b_admin.pk))
    if name == "token":
        return "not-a-valid-reset-token"
    if name == "content_type_id":
        return ContentType.objects.get_for_model(Lead).pk
    if name == "object_id":
        if "content_type_id" in route.params:
            return world.b_lead.pk
        return _admin_object(route, world)
    if name.endswith("_id"):
        return _b_row(_model_named(name, route), world, taken, name, route).pk
    raise Unfillable(f"{route.text!r} takes {name!r}: teach the walk which of B's objects it is")


def _admin_object(route: Route, world: World):
    """Django admin's object: B's row when B has one, else any. Admin turns away non-staff before
    it looks the object up, so for the walk the row need not exist; for the staff control it
    is B's wherever B has one."""
    model = route.model_admin.model if route.model_admin else Lead
    if model is get_user_model_class():
        return world.b_admin.pk
    rows = rows_of(model, world.b)
    row = (rows.first() if rows is not None else None) or model.objects.order_by("pk").first()
    return row.pk if row else 1


def _model_named(name: str, route: Route):
    stem = name.removesuffix("_id").replace("_", "")
    models = apps.get_models()
    exact = [m for m in models if m.__name__.lower() == stem]
    found = exact or [m for m in models if m.__name__.lower().endswith(stem)]
    if len(found) != 1:
        raise Unfillable(f"{route.text!r} takes {name!r}, and no one model is called that")
    return found[0]


def _b_row(model, world: World, taken: dict, name: str, route: Route):
    """B's row of ``model``, consistent with the rows already chosen for this pattern (the step
    of the chosen sequence); made with its factory when B has none; else the walk fails."""
    if model is get_user_model_class():
        return world.b_admin
    rows = rows_of(model, world.b)
    if rows is None:
        raise Unfillable(f"{route.text!r} takes {name!r}: {model._meta.label} has no workspace")
    for relation in model._meta.concrete_fields:
        if relation.many_to_one and relation.related_model in taken:
            rows = rows.filter(**{relation.name: taken[relation.related_model]})
    row = rows.first() or _made_for_b(model, world, name, route)
    taken[model] = row
    return row


def _made_for_b(model, world: World, name: str, route: Route):
    make = getattr(factories, f"{model.__name__}Factory", None)
    if make is None:
        raise Unfillable(
            f"{route.text!r} takes {name!r}, workspace B has no {model._meta.label} and "
            f"tests/factories.py has no {model.__name__}Factory: make one in the world fixture"
        )
    related = {}
    for relation in model._meta.concrete_fields:
        if relation.many_to_one and relation.related_model is Lead:
            related[relation.name] = world.b_lead
        elif relation.many_to_one and relation.related_model is Workspace:
            related[relation.name] = world.b
        elif relation.many_to_one and workspace_path(relation.related_model):
            other = rows_of(relation.related_model, world.b).first()
            if other is not None:
                related[relation.name] = other
    return make(**related)


def get_user_model_class():
    from django.contrib.auth import get_user_model

    return get_user_model()


# The walk


@dataclass(frozen=True)
class Stop:
    route: Route
    path: str
    through_a: bool = False  # A's workspace id in the path, B's objects after it


def plan(world: World) -> list[Stop]:
    """Every pattern with B's ids, then every pattern that names objects inside a workspace
    with A's workspace id and B's objects (the door A may open, the object it may not)."""
    stops, unfillable = [], []
    for route in all_routes():
        try:
            stops.append(Stop(route, build_path(route, fill(route, world))))
            if route.names_objects_inside_a_workspace:
                values = fill(route, world, door=world.a)
                stops.append(Stop(route, build_path(route, values), through_a=True))
        except Unfillable as exc:
            unfillable.append(str(exc))
    if unfillable:
        pytest.fail("The walk cannot fill every pattern:\n" + "\n".join(unfillable))
    return stops


def is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302):
        return False
    target = urlparse(response["Location"]).path
    return target in {reverse("login"), reverse("admin:login")}


def leaks(response, world: World) -> list[str]:
    body = response.content.decode(errors="replace")
    return [marker for marker in world.markers if marker in body]


def walk(stops, world: World, *, client: Client, relogin=None, key: str = "") -> list[str]:
    """Every stop with every method; what went wrong, one line each."""
    problems = []
    headers = {"Authorization": f"Api-Key {key}"} if key else {}
    for stop in stops:
        for method in METHODS:
            if key and stop.route.is_api and method == "post":
                continue  # writing through the API with its key is the API's purpose
            if relogin:
                relogin()  # a walked logout/ page must not end the walk's session
            response = _request(client, method, stop, headers)
            status = response.status_code
            where = f"{method.upper()} {stop.path} ({stop.route.text})"
            if status >= 500:
                problems.append(f"{where}: {status}")
            elif key and stop.route.is_api:
                continue  # the key reaches every workspace by design
            elif (
                stop.route.names_b_data and status not in DENIED and not is_login_redirect(response)
            ):
                problems.append(f"{where}: {status} for a member of another workspace")
            found = leaks(response, world)
            if found:
                problems.append(f"{where}: shows {found}")
    return problems


def _request(client: Client, method: str, stop: Stop, headers: dict):
    if method == "get":
        return client.get(stop.path, headers=headers)
    if stop.route.is_api:
        body = json.dumps(POSTED)
        return client.post(stop.path, body, content_type="application/json", headers=headers)
    return client.post(stop.path, POSTED, headers=headers)


def member_of_a(world: World, roles) -> object:
    user = factories.UserFactory()
    for role in roles:
        Membership.objects.create(user=user, workspace=world.a, role=role)
    return user


@pytest.mark.parametrize(
    "roles",
    [[Membership.Role.ADMIN], [Membership.Role.SETTER], [Membership.Role.INBOX_MANAGER],
     list(Membership.Role.values)],
    ids=["admin", "setter", "inbox_manager", "every_role"],
)  # fmt: skip
def test_a_member_of_another_workspace_sees_and_changes_nothing_of_b(world, roles):
    stops = plan(world)
    before = snapshot(world.b)
    user, client = member_of_a(world, roles), Client()

    problems = walk(stops, world, client=client, relogin=lambda: client.force_login(user))

    assert problems == []
    assert snapshot(world.b) == before


@pytest.mark.parametrize("with_key", [True, False], ids=["api_key", "anonymous"])
def test_without_a_session_no_page_of_b_opens_and_only_the_apis_take_a_key(world, with_key):
    stops = plan(world)
    before = snapshot(world.b)
    key = APIKey.objects.create_key(name="onboarding")[1] if with_key else ""

    problems = walk(stops, world, client=Client(), key=key)

    assert problems == []
    assert snapshot(world.b) == before


def test_the_walked_urls_are_bs_real_objects(world):
    """The control: staff (who may see every workspace) are not told 404 for the filled URLs,
    so the other walks' 404s come from the access rules."""
    stops = plan(world)
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    vacuous = []
    for stop in stops:
        if stop.through_a or not stop.route.names_b_data or stop.route.name in NO_PAGE_FOR_ANYONE:
            continue
        client.force_login(staff)
        answers = [client.get(stop.path).status_code]
        if answers[0] in (404, 405):
            client.force_login(staff)
            answers.append(client.post(stop.path).status_code)
        if all(status == 404 for status in answers):
            vacuous.append(f"{stop.path} ({stop.route.text}): {answers}")
    assert vacuous == []
    assert len(stops) > 50  # the walk saw the project's patterns, admin's included
