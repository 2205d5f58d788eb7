"""Validation shared by models, forms and the APIs, so every door refuses the same bad input."""

import contextlib
import unicodedata
import zoneinfo
from datetime import UTC, datetime

import idna
import phonenumbers
from confusable_homoglyphs import categories, confusables
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# The date-times we accept anywhere (APIs, forms, provider payloads): far enough for any real
# appointment or message, and clear of the calendar's ends, where converting to a time zone
# overflows (year 1 in New York is year 0).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def validate_timezone(value: str) -> None:
    if not value or value not in _known_timezones():
        raise ValidationError(f"“{value}” is not a known IANA time zone (e.g. America/New_York).")


def _known_timezones() -> set[str]:
    return zoneinfo.available_timezones()


def normalize_email(value: str) -> str:
    """The one canonical form of an address, compared exactly everywhere: trimmed, Unicode
    NFKC-normalised, lower-cased, the domain in its IDNA ASCII form (``xn--…``). Raises
    ValidationError for a malformed address."""
    text = unicodedata.normalize("NFKC", (value or "").strip()).lower()
    if has_control_characters(text):
        raise ValidationError("An e-mail address cannot contain control characters.")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(f"“{value}” is not a valid e-mail address.")
    address = f"{local}@{_ascii_domain(domain, value)}"
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(f"“{value}” is not a valid e-mail address.") from None
    return address


def canonical_or_trimmed(value: str) -> str:
    """The canonical form of a stored contact address; one that is not a valid address (kept
    from before it was checked) is only trimmed and lower-cased."""
    try:
        return normalize_email(value) if value else ""
    except ValidationError:
        return (value or "").strip().lower()


def account_email(value: str) -> str:
    """An address a person signs in with: canonical, and refused when its local part or domain
    mixes scripts or uses a character made to look like another (``bıgcorp.io``, a Cyrillic
    ``а``), so nobody can hold a look-alike of someone else's identity."""
    local, _, domain = unicodedata.normalize("NFKC", (value or "").strip()).lower().rpartition("@")
    refuse_lookalikes(local, part="local part")
    # An xn-- domain is checked as what it displays as; normalize_email says what is wrong
    # with one that does not decode.
    with contextlib.suppress(idna.IDNAError, UnicodeError):
        domain = idna.decode(domain)
    for label in domain.split("."):  # a script may change between labels (日本.jp)
        refuse_lookalikes(label, part="domain")
    return normalize_email(value)


def refuse_lookalikes(text: str, *, part: str) -> None:
    if confusables.is_mixed_script(text):
        scripts = sorted({categories.alias(ch) for ch in text if ch.isalpha()})
        raise ValidationError(
            f"The address's {part} mixes scripts ({', '.join(s.title() for s in scripts)}), "
            "a way to imitate another address."
        )
    for char in dict.fromkeys(text):
        lookalike = _ascii_lookalike(char)
        if lookalike:
            raise ValidationError(
                f"The address's {part} uses “{char}” ({unicodedata.name(char, 'unnamed')}), "
                f"which looks like “{lookalike}”: write the address with “{lookalike}” instead."
            )


def _ascii_lookalike(char: str) -> str:
    if char.isascii():
        return ""
    found = confusables.is_confusable(char, greedy=True, preferred_aliases=[]) or []
    for entry in found:
        for glyph in entry["homoglyphs"]:
            if len(glyph["c"]) == 1 and glyph["c"].isascii() and glyph["c"].isalnum():
                return glyph["c"]
    return ""


def _ascii_domain(domain: str, original: str) -> str:
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValidationError(f"“{original}” is not a valid e-mail address.") from None


def has_control_characters(text: str) -> bool:
    """Control or format characters (newlines, NUL, bidi overrides): nothing a name or an
    address needs, and what breaks an e-mail header or hides text."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text)


def without_control_characters(text: str) -> str:
    """For names we can't refuse (a provider's event): each control character becomes a space."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch for ch in text)
    return " ".join(cleaned.split())


def validate_plain_text(value: str) -> None:
    if has_control_characters(value or ""):
        raise ValidationError("Control characters (line breaks, tabs, NUL…) are not allowed.")


def validate_sane_datetime(value: datetime | None) -> None:
    if value is None:
        return
    if value.tzinfo is None:
        raise ValidationError("The time needs a UTC offset.")
    if not EARLIEST <= value < LATEST:
        raise ValidationError(
            f"The time must be between {EARLIEST.year} and {LATEST.year - 1} (UTC)."
        )


def normalize_phone(value: str, *, region: str = "US") -> str:
    """E.164 (``+13125550142``); raises ValidationError for a number that cannot be one."""
    raw = (value or "").strip()
    try:
        parsed = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"“{value}” is not a phone number.") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(f"“{value}” is not a possible phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
