import pytest
from django.conf import settings


def pytest_configure(config):
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise pytest.UsageError(
            "The test suite runs against PostgreSQL only, and DATABASE_URL points elsewhere "
            f"({engine}). Run `make test`, or set DATABASE_URL=postgres://postgres@127.0.0.1:5432/"
            "setterdesk."
        )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def workspace(db):
    from tests.factories import WorkspaceFactory

    return WorkspaceFactory()


@pytest.fixture
def lead(workspace):
    from tests.factories import LeadFactory

    return LeadFactory(workspace=workspace)
