import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from followups.errors import SecretUnreadable
from integrations.models import Connection
from tests.integrations import fake

pytestmark = pytest.mark.django_db


def raw_rows(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        return [" ".join(str(v) for v in row) for row in cursor.fetchall()]


def test_secrets_round_trip(connected):
    fresh = Connection.objects.get(pk=connected.pk)
    assert fresh.secret("api_token") == fake.TOKEN
    assert fresh.token_hint == "WXYZ"


def test_raw_database_rows_hold_no_plaintext_secret(connected):
    rows = raw_rows("integrations_connection") + raw_rows("workspaces_auditevent")
    assert rows
    assert not any(fake.TOKEN in row for row in rows)
    assert not any("s3cr3t" in row for row in rows)


def test_repr_keeps_the_secret_out_of_logs(connected):
    assert fake.TOKEN not in repr(connected)
    assert fake.TOKEN not in str(connected)


def test_rotation_moves_every_secret_to_the_new_key(settings, workspace, fake_provider, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    from integrations import connections

    connections.connect(
        workspace=workspace, provider=fake.NAME, secrets={"api_token": fake.TOKEN}, config={}
    )

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys")
    assert "Rewrote 1 encrypted values." in capsys.readouterr().out

    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert Connection.objects.get(workspace=workspace).secret("api_token") == fake.TOKEN

    call_command("rotate_encryption_keys")
    assert "Rewrote 0 encrypted values." in capsys.readouterr().out


def test_a_dropped_key_is_a_clear_error_without_the_value(settings, connected):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretUnreadable) as caught:
        Connection.objects.get(pk=connected.pk)
    assert "rotate_encryption_keys" in str(caught.value)
    assert fake.TOKEN not in str(caught.value)


def test_empty_secrets_store_nothing(workspace):
    conn = Connection.objects.create(workspace=workspace, provider="empty")
    assert Connection.objects.get(pk=conn.pk).secrets == {}
    assert raw_rows("integrations_connection")


def test_the_system_check_refuses_a_key_that_is_not_a_fernet_key(settings):
    from integrations.checks import check_encryption_keys

    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    assert [e.id for e in check_encryption_keys()] == ["integrations.E001"]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert check_encryption_keys() == []
