"""Secrets at rest: ``MultiFernet`` over ``settings.FIELD_ENCRYPTION_KEYS`` (the first key
encrypts, every key decrypts).

The keys are read when a value is encrypted or decrypted, never at import, so a test (or a
rotation) can change the setting. ``python manage.py rotate_encryption_keys`` re-encrypts every
stored value with the first key; after it ran, the old keys may be dropped.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from followups.errors import SecretUnreadable


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        # The message names no key: a key is a secret too.
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def _keys() -> tuple[str, ...]:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: secrets cannot be stored.")
    return keys


def fernet() -> MultiFernet:
    return _fernet_for(_keys())


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable() from None


def needs_rotation(token: str) -> bool:
    """True when the first key alone cannot read ``token`` (it was written with an older key)."""
    try:
        Fernet(_keys()[0]).decrypt(token.encode())
    except InvalidToken:
        return True
    return False


def rotate(token: str) -> str:
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable() from None


class EncryptedTextField(models.TextField):
    """A string stored as a Fernet token; "" is stored as "" (nothing to hide).

    Not searchable or orderable: equal plaintexts give different tokens.
    """

    description = "Text encrypted with FIELD_ENCRYPTION_KEYS"
    encrypted = True  # rotate_encryption_keys finds fields by this flag

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)  # never rendered by a ModelForm or the admin
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return self.empty_python_value()
        return self.decode(decrypt(value))

    def get_prep_value(self, value):
        if value is None:
            return None
        plaintext = self.encode(value)
        return encrypt(plaintext) if plaintext else ""

    def empty_python_value(self):
        return ""

    def encode(self, value) -> str:
        return str(value)

    def decode(self, plaintext: str):
        return plaintext


class EncryptedJSONField(EncryptedTextField):
    """A JSON object (e.g. ``{"access_token": ..., "signing_key": ...}``) stored encrypted as a
    whole. An empty dict is stored as "", so wiping the secrets leaves no token behind."""

    description = "JSON encrypted with FIELD_ENCRYPTION_KEYS"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def empty_python_value(self):
        return {}

    def encode(self, value) -> str:
        return json.dumps(value, sort_keys=True) if value else ""

    def decode(self, plaintext: str):
        return json.loads(plaintext)

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value


def encrypted_fields():
    """Every (model, field) in the project whose values are stored encrypted."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if getattr(field, "encrypted", False):
                yield model, field
