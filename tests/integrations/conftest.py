import pytest

from integrations import connections, providers
from tests.calendly.fixtures import calendly_receiver, calendly_sandbox, on_commit  # noqa: F401
from tests.factories import MembershipFactory
from tests.integrations import fake


@pytest.fixture
def recorder():
    return fake.Recorder()


@pytest.fixture
def fake_provider(recorder):
    """The test-only provider, registered for one test."""
    spec = fake.make_spec(recorder)
    providers.register(spec)
    yield spec
    providers.unregister(spec.name)


@pytest.fixture
def connected(workspace, fake_provider):
    return connections.connect(
        workspace=workspace,
        provider=fake.NAME,
        secrets={"api_token": fake.TOKEN},
        config={"account": "casey@agency.example"},
        display_name="casey@agency.example",
        token_hint=fake.TOKEN,
    )


@pytest.fixture
def admin_client(client, workspace):
    membership = MembershipFactory(workspace=workspace, role="admin")
    client.force_login(membership.user)
    client.user = membership.user
    return client
