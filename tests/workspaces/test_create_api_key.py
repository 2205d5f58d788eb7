from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from tests.workspaces.conftest import WORKSPACES_URL

pytestmark = pytest.mark.django_db


def create_api_key(name) -> list[str]:
    out = StringIO()
    call_command("create_api_key", name, stdout=out)
    return out.getvalue().strip().splitlines()


def test_prints_a_working_key_on_its_last_line_and_stores_only_its_hash():
    lines = create_api_key("onboarding")
    key = lines[-1]

    stored = APIKey.objects.get(name="onboarding")
    assert key.startswith(f"{stored.prefix}.")
    assert key not in stored.hashed_key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get(WORKSPACES_URL).status_code == 200


def test_revoking_the_key_locks_it_out():
    key = create_api_key("billing")[-1]
    APIKey.objects.filter(name="billing").update(revoked=True)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get(WORKSPACES_URL).status_code == 401


@pytest.mark.parametrize("name", ["", "   ", "x" * 51])
def test_refuses_an_empty_or_overlong_name(name):
    with pytest.raises(CommandError):
        create_api_key(name)
