import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.exceptions import ImproperlyConfigured

from ghl.signatures import SignatureError, verify_marketplace_signature, verify_workflow_secret
from tests.ghl.helpers import fixture_bytes

BODY = fixture_bytes("appointment_webhook.json")


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    der = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@pytest.fixture
def private_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def public_key(private_key):
    return public_key_b64(private_key)


def sign(private_key, body: bytes) -> str:
    return base64.b64encode(private_key.sign(body)).decode()


def test_a_body_signed_with_the_key_is_accepted(private_key, public_key):
    verify_marketplace_signature(BODY, sign(private_key, BODY), public_key)


def test_the_key_comes_from_settings_by_default(private_key, public_key, settings):
    settings.GHL_WEBHOOK_PUBLIC_KEY = public_key

    verify_marketplace_signature(BODY, sign(private_key, BODY))


def test_ghls_published_key_is_the_default_and_rejects_our_signature(private_key):
    with pytest.raises(SignatureError, match="does not match"):
        verify_marketplace_signature(BODY, sign(private_key, BODY))


def test_a_changed_body_is_rejected(private_key, public_key):
    signature = sign(private_key, BODY)
    tampered = BODY.replace(b'"confirmed"', b'"cancelled"', 1)

    with pytest.raises(SignatureError, match="does not match"):
        verify_marketplace_signature(tampered, signature, public_key)


def test_a_signature_by_another_key_is_rejected(public_key):
    other = Ed25519PrivateKey.generate()

    with pytest.raises(SignatureError, match="does not match"):
        verify_marketplace_signature(BODY, sign(other, BODY), public_key)


@pytest.mark.parametrize("header", ["N/A", "n/a", " N/A "])
def test_an_unsigned_delivery_is_rejected(header, public_key):
    with pytest.raises(SignatureError, match="unsigned"):
        verify_marketplace_signature(BODY, header, public_key)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_signature_is_rejected(header, public_key):
    with pytest.raises(SignatureError, match="missing"):
        verify_marketplace_signature(BODY, header, public_key)


@pytest.mark.parametrize(
    "header",
    ["not base64 at all!", base64.b64encode(b"short").decode(), "sha256=" + "a" * 64],
)
def test_an_undecodable_signature_is_rejected(header, public_key):
    with pytest.raises(SignatureError):
        verify_marketplace_signature(BODY, header, public_key)


def test_a_broken_configured_key_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured):
        verify_marketplace_signature(BODY, "AAAA", "bm90IGEga2V5")


def test_workflow_secret_that_matches_is_accepted():
    verify_workflow_secret("s3cret-value", "s3cret-value")


@pytest.mark.parametrize("header", ["wrong", "s3cret-valu", "s3cret-value-and-more", "", None])
def test_workflow_secret_that_differs_or_is_missing_is_rejected(header):
    with pytest.raises(SignatureError):
        verify_workflow_secret(header, "s3cret-value")


@pytest.mark.parametrize("expected", ["", None])
def test_workflow_secret_accepts_nothing_when_none_is_configured(expected):
    with pytest.raises(SignatureError, match="no workflow secret"):
        verify_workflow_secret("", expected)
