import pytest
from django.core.exceptions import ValidationError

from tests.factories import LeadFactory, UserFactory, WorkspaceFactory
from workspaces.models import Membership, Workspace
from workspaces.validators import normalize_email, normalize_phone

pytestmark = pytest.mark.django_db


def test_unknown_timezone_is_refused_with_a_clear_message():
    workspace = Workspace(name="X", timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as exc:
        workspace.full_clean()
    assert "not a known IANA time zone" in str(exc.value.message_dict["timezone"])


def test_malformed_email_is_refused():
    lead = LeadFactory.build(workspace=WorkspaceFactory(), email="not-an-email")
    with pytest.raises(ValidationError) as exc:
        lead.full_clean()
    assert "email" in exc.value.message_dict


def test_unknown_role_is_refused():
    membership = Membership(user=UserFactory(), workspace=WorkspaceFactory(), role="owner")
    with pytest.raises(ValidationError) as exc:
        membership.full_clean()
    assert "role" in exc.value.message_dict


def test_lead_email_stored_lower_case():
    lead = LeadFactory(email="  Jordan.Lee@Example.COM ")
    lead.refresh_from_db()
    assert lead.email == "jordan.lee@example.com"


def test_email_and_phone_normalization():
    assert normalize_email(" A@B.co ") == "a@b.co"
    assert normalize_phone("(312) 555-0142") == "+13125550142"
    with pytest.raises(ValidationError):
        normalize_phone("12")
