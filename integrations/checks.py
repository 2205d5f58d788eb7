"""``manage.py check``: the encryption keys must be usable before anything is stored with them."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security)
def check_encryption_keys(app_configs=None, **kwargs):
    from integrations.fields import fernet

    try:
        fernet()
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="Set FIELD_ENCRYPTION_KEYS to comma-separated keys made with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`; the first one encrypts.",
                id="integrations.E001",
            )
        ]
    if len(set(settings.FIELD_ENCRYPTION_KEYS)) != len(settings.FIELD_ENCRYPTION_KEYS):
        return [Error("FIELD_ENCRYPTION_KEYS lists a key twice.", id="integrations.E002")]
    return []
