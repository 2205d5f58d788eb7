"""A lead's e-mail is one canonical form too: provider events find the lead by any spelling of
its address and never by a look-alike, rows stored before are migrated, and a lead's name
carries no control characters."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from booking.matching import Invitee, match_lead
from tests.factories import LeadFactory, WorkspaceFactory
from workspaces.models import Lead, Workspace

pytestmark = pytest.mark.django_db

BEFORE = [("workspaces", "0005_messaging_channel")]
AFTER = [("workspaces", "0006_canonical_lead_emails")]


@pytest.fixture
def api():
    _, key = APIKey.objects.create_key(name="agency backend")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def event(workspace, email, **invitee):
    return match_lead(
        workspace=workspace,
        provider="ghl",
        invitee=Invitee(email=email, **invitee),
        create=True,
    )


def test_a_provider_event_finds_the_lead_by_any_spelling_of_its_address():
    workspace = WorkspaceFactory()
    lead = LeadFactory(workspace=workspace, email="owner@bigcorp.io")
    german = LeadFactory(workspace=workspace, email="ops@müller.de")

    assert event(workspace, "Owner@BigCorp.IO") == lead
    assert event(workspace, "  ｏwner@bigcorp.io ") == lead  # fullwidth ｏ is NFKC's o
    assert event(workspace, "OPS@MÜLLER.DE") == german
    assert event(workspace, "ops@xn--mller-kva.de") == german
    assert german.email == "ops@xn--mller-kva.de"  # saved in the canonical form
    assert Lead.objects.filter(workspace=workspace).count() == 2


def test_a_look_alike_address_never_finds_the_real_lead():
    workspace = WorkspaceFactory(unmatched_bookings=Workspace.UnmatchedPolicy.CREATE_LEAD)
    real = LeadFactory(workspace=workspace, email="owner@bigcorp.io")

    impostor = event(workspace, "owner@bıgcorp.io", name="Not The Owner")

    assert impostor != real
    assert impostor.email == "owner@xn--bgcorp-p9a.io"
    real.refresh_from_db()
    assert (real.email, real.first_name) == ("owner@bigcorp.io", "Jordan")


def test_the_migration_rewrites_leads_stored_before_it():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    OldLead = old_apps.get_model("workspaces", "Lead")
    workspace = WorkspaceFactory()
    other = WorkspaceFactory()

    def old(email, ws=workspace):  # written as older code left them, past today's save
        return OldLead.objects.create(workspace_id=ws.pk, email=email, first_name="Old").pk

    mixed_case = old("Owner@BigCorp.IO")
    idn = old(" Ops@Müller.de")
    twin = old("ｏwner@bigcorp.io")  # the same address as the first: nothing is lost
    elsewhere = old("ＯWNER@bigcorp.io", ws=other)  # another workspace may hold it too
    lookalike = old("owner@bıgcorp.io")
    malformed = old(" Not-An-Address ")
    no_email = old("")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    emails = dict(Lead.objects.values_list("pk", "email"))
    assert emails[mixed_case] == "owner@bigcorp.io"
    assert emails[idn] == "ops@xn--mller-kva.de"
    assert emails[twin] == "ｏwner@bigcorp.io"  # kept for someone to merge by hand
    assert emails[elsewhere] == "owner@bigcorp.io"
    assert emails[lookalike] == "owner@xn--bgcorp-p9a.io"
    assert emails[malformed] == "not-an-address"
    assert emails[no_email] == ""
    assert event(workspace, "OWNER@bigcorp.io").pk == mixed_case
    assert event(other, "owner@BIGCORP.io").pk == elsewhere


def test_the_lead_already_canonical_but_for_case_keeps_the_address():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    OldLead = executor.loader.project_state(BEFORE).apps.get_model("workspaces", "Lead")
    workspace = WorkspaceFactory()
    older = OldLead.objects.create(workspace_id=workspace.pk, email="owner@ｂigcorp.io").pk
    newer = OldLead.objects.create(workspace_id=workspace.pk, email="Owner@BigCorp.io").pk

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    emails = dict(Lead.objects.values_list("pk", "email"))
    assert (emails[older], emails[newer]) == ("owner@ｂigcorp.io", "owner@bigcorp.io")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Casey\nBcc: everyone@example.com"),
        ("last_name", "Closer\u202eevil"),  # a bidi override hides text on a page
        ("first_name", "Ca\tsey"),
    ],
)
def test_a_lead_name_with_control_characters_is_refused_with_the_reason(api, field, value):
    workspace = WorkspaceFactory()

    response = api.post(
        f"/api/workspaces/{workspace.public_id}/leads",
        {"email": "casey@example.com", field: value},
        format="json",
    )

    assert response.status_code == 400
    assert "Control characters" in str(response.json()[field])
    assert not Lead.objects.exists()


def test_a_name_from_a_provider_event_is_stored_on_one_clean_line():
    workspace = WorkspaceFactory(unmatched_bookings=Workspace.UnmatchedPolicy.CREATE_LEAD)

    lead = event(workspace, "casey@example.com", first_name="Casey\r\nX", last_name="\u202eCloser")

    assert (lead.first_name, lead.last_name) == ("Casey X", "Closer")
