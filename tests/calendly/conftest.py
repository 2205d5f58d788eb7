import pytest

from tests.calendly.fixtures import *  # noqa: F403
from tests.factories import MembershipFactory
from workspaces.models import Membership


@pytest.fixture
def admin_client(client, workspace):
    admin = MembershipFactory(workspace=workspace, role=Membership.Role.ADMIN).user
    client.force_login(admin)
    client.user = admin
    return client
