"""Errors every provider raises, so callers catch what they can act on.

They live in ``followups``, the lowest app that calls a provider (a channel sends a message
through one), so ``followups``, ``integrations``, ``booking`` and the provider apps all import
them downward. This module imports nothing of ours.

Each carries a ``safe_message``: text fit for a page or an API response (never a token,
never a raw provider body). The detail goes to the log, not to the user.
"""


class ProviderError(Exception):
    """A provider call failed. ``permanent`` says whether retrying can help."""

    permanent = False

    def __init__(self, safe_message: str, *, status: int | None = None, detail: str = ""):
        super().__init__(safe_message)
        self.safe_message = safe_message
        self.status = status
        self.detail = detail


class ProviderAuthError(ProviderError):
    """The token is invalid, expired or revoked (HTTP 401): the connection needs re-auth."""

    permanent = True


class ProviderPermissionError(ProviderError):
    """The token works but lacks a scope or the plan lacks a feature (HTTP 403)."""

    permanent = True

    def __init__(self, safe_message: str, *, missing_scopes: tuple[str, ...] = (), **kwargs):
        super().__init__(safe_message, **kwargs)
        self.missing_scopes = missing_scopes


class ProviderRateLimited(ProviderError):
    """HTTP 429 after our own retries; ``retry_after`` seconds when the provider said."""

    def __init__(self, safe_message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(safe_message, **kwargs)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """5xx or a network failure after our own retries. The outcome of a write is unknown
    when ``outcome_unknown`` is set (a timeout after the request was sent)."""

    def __init__(self, safe_message: str, *, outcome_unknown: bool = False, **kwargs):
        super().__init__(safe_message, **kwargs)
        self.outcome_unknown = outcome_unknown


class ProviderBadRequest(ProviderError):
    """HTTP 400/404/409/422: the request itself was refused; retrying the same call won't help."""

    permanent = True


class SlotTaken(ProviderBadRequest):
    """The time is no longer free at the provider."""


class ProviderNotConnected(ProviderError):
    """The workspace has no usable connection for the provider it asked for."""

    permanent = True


class DirectBookingUnavailable(ProviderError):
    """The provider cannot book this lead directly (the plan lacks the API, its booking limits
    are spent, the lead has no e-mail, required questions we cannot answer...). The caller should
    send the lead a booking link instead (``BookingProvider.scheduling_link``)."""

    permanent = True


class InvalidSetting(ProviderBadRequest):
    """A connect form or API call can't be saved as given; ``field`` names the input to fix
    ("" for the form as a whole). The Integrations tab and the admin API show it on that field;
    any ProviderError with a ``field`` attribute is treated the same way."""

    def __init__(self, safe_message: str, *, field: str = "", **kwargs):
        super().__init__(safe_message, **kwargs)
        self.field = field


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the configured FIELD_ENCRYPTION_KEYS (a key was
    dropped before ``rotate_encryption_keys`` ran). Says nothing about the value itself."""

    def __init__(self):
        super().__init__(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: put the old key "
            "back (after the new one), run `manage.py rotate_encryption_keys`, then remove it."
        )
