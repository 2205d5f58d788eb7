"""Log-in: by canonical e-mail address and password, throttled by django-axes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.shortcuts import render

from workspaces.users import find_user
from workspaces.validators import normalize_email

LOCKED_OUT_MESSAGE = (
    "Too many failed log-in attempts for this account or from this network. Log-in is "
    "paused for {minutes} minutes; an administrator can unlock it sooner."
)


class EmailBackend(ModelBackend):
    """Log in with an e-mail address, in any spelling of its canonical form, and a password."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = (email or username or "").strip()
        if not address or password is None:
            return None
        user = find_user(address)
        if user is None:
            get_user_model()().set_password(password)  # same work either way: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_username(request, credentials) -> str:
    """django-axes counts failures per canonical address, so `Owner@X.io ` and `owner@x.io`
    share one counter."""
    raw = (credentials or {}).get("username") or (credentials or {}).get("email") or ""
    try:
        return normalize_email(raw)
    except ValidationError:
        return raw.strip().lower()[:255]


def client_address(request) -> str | None:
    """The address django-axes counts failures for. Only the last X-Forwarded-For entry can be
    believed (our proxy appended it; the ones before are whatever the client sent), and only
    when TRUST_X_FORWARDED_FOR says a proxy is there."""
    from django.conf import settings

    if settings.TRUST_X_FORWARDED_FOR:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if hops[-1]:
            return hops[-1]
    return request.META.get("REMOTE_ADDR")


def locked_out(request, credentials, *args, **kwargs):
    """django-axes' answer to a locked-out log-in: 429, saying why and for how long."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(
        request,
        "registration/locked_out.html",
        {"message": LOCKED_OUT_MESSAGE.format(minutes=minutes)},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
