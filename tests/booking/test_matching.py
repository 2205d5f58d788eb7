import pytest

from booking.matching import Invitee, match_lead
from tests.factories import AppointmentFactory, LeadFactory, WorkspaceFactory
from workspaces.models import Lead, Workspace

pytestmark = pytest.mark.django_db


def test_lead_id_hint_wins_over_email(workspace):
    hinted = LeadFactory(workspace=workspace, email="first@example.com")
    LeadFactory(workspace=workspace, email="second@example.com")
    found = match_lead(
        workspace=workspace,
        provider="calendly",
        lead_id_hint=str(hinted.pk),
        invitee=Invitee(email="second@example.com"),
    )
    assert found == hinted


def test_hint_pointing_to_another_workspace_is_ignored(workspace):
    stranger = LeadFactory()
    mine = LeadFactory(workspace=workspace, email="me@example.com")
    found = match_lead(
        workspace=workspace,
        provider="calendly",
        lead_id_hint=str(stranger.pk),
        invitee=Invitee(email="me@example.com"),
    )
    assert found == mine


def test_previous_appointment_then_email_then_phone(workspace):
    by_appt = AppointmentFactory(lead=LeadFactory(workspace=workspace), provider="calendly")
    assert (
        match_lead(
            workspace=workspace,
            provider="calendly",
            invitee=Invitee(),
            booking_external_id=by_appt.external_id,
        )
        == by_appt.lead
    )
    by_email = LeadFactory(workspace=workspace, email="jordan@example.com")
    assert (
        match_lead(
            workspace=workspace, provider="calendly", invitee=Invitee(email="JORDAN@example.com ")
        )
        == by_email
    )
    by_phone = LeadFactory(workspace=workspace, email="", phone="+13125550142")
    assert (
        match_lead(workspace=workspace, provider="ghl", invitee=Invitee(phone="(312) 555-0142"))
        == by_phone
    )


def test_contact_id_is_remembered_for_next_time(workspace):
    lead = LeadFactory(workspace=workspace, email="sam@example.com")
    match_lead(
        workspace=workspace,
        provider="ghl",
        contact_id="c-1",
        invitee=Invitee(email="sam@example.com"),
    )
    assert (
        match_lead(workspace=workspace, provider="ghl", contact_id="c-1", invitee=Invitee()) == lead
    )


def test_never_matches_a_lead_of_another_workspace():
    LeadFactory(email="shared@example.com")
    workspace = WorkspaceFactory(unmatched_bookings=Workspace.UnmatchedPolicy.KEEP_UNMATCHED)
    assert (
        match_lead(
            workspace=workspace, provider="calendly", invitee=Invitee(email="shared@example.com")
        )
        is None
    )


def test_unmatched_creates_a_lead_when_the_workspace_says_so(workspace):
    lead = match_lead(
        workspace=workspace,
        provider="calendly",
        invitee=Invitee(
            email="New.Person@example.com", name="New Person", timezone="America/Chicago"
        ),
    )
    assert lead.source == "calendly"
    assert (lead.first_name, lead.last_name, lead.email) == (
        "New",
        "Person",
        "new.person@example.com",
    )
    assert lead.status == Lead.Status.QUALIFIED
