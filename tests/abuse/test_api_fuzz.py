"""Schemathesis over the whole ``/api/schema/``: the provisioning API, the admin integrations
API and the booking API under ``/api/workspaces/…``, with and without a key. Whatever is sent,
the answer is never a 5xx.

Path parameters hit real objects half of the time (a real workspace, its lead, an installed
provider), so requests get past the 404s into validation and the writes. Operations whose body
the schema does not describe still get one: any JSON, with the field names the API reads.
Provider APIs are answered by respx ("this token is refused"), so nothing leaves the machine.
"""

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import DataGenerationMethod

from tests.factories import LeadFactory, MembershipFactory
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

EXAMPLES = 20  # per operation, key and generation method
PROVIDER_HOSTS = ("ghl.invalid", "calendly.invalid")
EXPECTED_PATHS = {
    "/api/admin/workspaces",
    "/api/admin/workspaces/{id}",
    "/api/admin/workspaces/{workspace_id}/integrations/{provider}",
    "/api/workspaces/{workspace_id}/leads",
    "/api/workspaces/{workspace_id}/leads/{lead_id}/messages",
    "/api/workspaces/{workspace_id}/leads/{lead_id}/offers",
    "/api/workspaces/{workspace_id}/appointments",
}
FIELDS = [
    "email", "phone", "first_name", "last_name", "timezone", "channel", "body", "received_at",
    "provider_message_id", "count", "send", "access_token", "location_id", "calendar_id",
    "api_token", "event_type", "name", "external_id", "members", "status", "from", "to",
]  # fmt: skip

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
any_body = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), json_values, max_size=6),
    json_values,
)


@pytest.fixture
def providers_refuse_every_token(settings):
    settings.GHL_API_BASE = f"https://{PROVIDER_HOSTS[0]}"
    settings.CALENDLY_API_BASE = f"https://{PROVIDER_HOSTS[1]}"
    refused = httpx.Response(401, json={"message": "Invalid token", "statusCode": 401})
    with respx.mock(assert_all_called=False) as mock:
        for host in PROVIDER_HOSTS:
            mock.route(host=host).mock(return_value=refused)
        yield


@pytest.fixture
def real_ids(db):
    from integrations.providers import all_specs

    workspace = MembershipFactory(role="admin").workspace
    lead = LeadFactory(workspace=workspace)
    return {
        "workspace": [workspace],
        "id": [str(workspace.public_id)],
        "workspace_id": [str(workspace.public_id)],
        "lead_id": [lead.pk],
        "provider": [spec.name for spec in all_specs()],
    }


def _operations(schema, method):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= EXPECTED_PATHS
    if method is DataGenerationMethod.negative:
        # The generator cannot break a UUID or integer path parameter (it finds no string that
        # fails the format); negative runs break what else there is: a body or a query.
        operations = [op for op in operations if op.body or op.query]
    return operations


@pytest.mark.parametrize("with_key", [True, False], ids=["with_key", "without_key"])
@pytest.mark.parametrize("method", list(DataGenerationMethod), ids=lambda m: m.name)
def test_no_request_to_any_operation_gets_a_server_error(
    whole_api_schema, api_key, real_ids, providers_refuse_every_token, with_key, method
):
    headers = {"Authorization": f"Api-Key {api_key}"} if with_key else {}
    for operation in _operations(whole_api_schema, method):
        _fuzz(operation, method=method, headers=headers, real_ids=real_ids)


def _fuzz(operation, *, method, headers, real_ids):
    undocumented_body = operation.method.upper() in ("POST", "PUT", "PATCH") and not operation.body

    explicit = {}
    if method is DataGenerationMethod.negative:
        # Negative runs keep real path parameters and break the body or the query.
        names = [p.name for p in operation.path_parameters]
        explicit = {"path_parameters": {name: real_ids[name][0] for name in names}}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(data_generation_method=method, **explicit),
        real=st.booleans(),
        pick=st.integers(min_value=0, max_value=10),
        body=any_body,
    )
    def run(case, real, pick, body):
        # A generated DELETE may have deactivated it; the next request should find it again.
        Workspace.objects.filter(pk=real_ids["workspace"][0].pk).update(is_active=True)
        if real:
            for name in case.path_parameters or {}:
                choices = real_ids.get(name)
                if choices:
                    case.path_parameters[name] = choices[pick % len(choices)]
        if undocumented_body:
            case.body = body
            case.media_type = "application/json"
        elif case.media_type and "json" not in case.media_type and not isinstance(case.body, dict):
            case.media_type = "application/json"  # a form can't carry it; JSON can
        response = case.call_wsgi(headers=headers)
        assert response.status_code < 500, (
            f"{operation.method.upper()} {case.formatted_path} -> {response.status_code}: "
            f"{response.get_data(as_text=True)[:300]}"
        )

    run()
