import pytest

from calendly.signatures import SignatureError, sign, verify
from tests.calendly.helpers import fixture_bytes

KEY = "whsec-sandbox-signing-key"
NOW = 1_795_000_000
BODY = fixture_bytes("invitee_created.json")


def test_a_delivery_signed_with_the_key_is_accepted():
    verify(sign(BODY, KEY, NOW), BODY, KEY, now=NOW)


def test_a_signature_a_little_off_the_clock_is_accepted():
    verify(sign(BODY, KEY, NOW - 170), BODY, KEY, now=NOW)
    verify(sign(BODY, KEY, NOW + 170), BODY, KEY, now=NOW)


def test_the_header_matches_calendlys_documented_digest():
    # HMAC-SHA256 of "<t>." + body, hex: computed independently of sign().
    import hashlib
    import hmac

    expected = hmac.new(KEY.encode(), b"1700000000.{}", hashlib.sha256).hexdigest()

    assert sign(b"{}", KEY, 1_700_000_000) == f"t=1700000000,v1={expected}"


def test_a_signature_made_with_another_key_is_refused():
    with pytest.raises(SignatureError) as caught:
        verify(sign(BODY, "someone-elses-key", NOW), BODY, KEY, now=NOW)

    assert caught.value.reason == "signature does not match"


def test_a_changed_body_is_refused():
    header = sign(BODY, KEY, NOW)

    with pytest.raises(SignatureError, match="does not match"):
        verify(header, BODY.replace(b"Jordan", b"Jordon"), KEY, now=NOW)


def test_a_changed_timestamp_is_refused():
    header = sign(BODY, KEY, NOW).replace(f"t={NOW}", f"t={NOW + 1}")

    with pytest.raises(SignatureError, match="does not match"):
        verify(header, BODY, KEY, now=NOW)


def test_a_stale_signature_is_refused_even_when_it_matches():
    with pytest.raises(SignatureError) as caught:
        verify(sign(BODY, KEY, NOW - 181), BODY, KEY, now=NOW)

    assert caught.value.reason == "signature is too old"


def test_a_signature_from_the_future_is_refused():
    with pytest.raises(SignatureError) as caught:
        verify(sign(BODY, KEY, NOW + 181), BODY, KEY, now=NOW)

    assert caught.value.reason == "signature is from the future"


def test_one_matching_v1_among_several_is_enough():
    good = sign(BODY, KEY, NOW)
    other = sign(BODY, "old-key", NOW).split(",")[1]

    verify(f"{good},{other}", BODY, KEY, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"t={NOW}",
        "v1=" + "a" * 64,
        f"t=soon,v1={'a' * 64}",
        f"t={NOW},v1=not-hex",
        f"t={NOW},v1={'a' * 63}",
        f"t={NOW},t={NOW},v1={'a' * 64}",
        f"t=-5,v1={'a' * 64}",
        "t=" + "9" * 2000,
    ],
)
def test_a_malformed_header_is_refused(header):
    with pytest.raises(SignatureError) as caught:
        verify(header, BODY, KEY, now=NOW)

    assert caught.value.reason == "malformed signature header"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_header_is_refused(header):
    with pytest.raises(SignatureError) as caught:
        verify(header, BODY, KEY, now=NOW)

    assert caught.value.reason == "missing signature header"


def test_nothing_is_accepted_without_a_key():
    with pytest.raises(SignatureError, match="no signing key"):
        verify(sign(BODY, "", NOW), BODY, "", now=NOW)
