"""Talking to the workspace's own SMTP server: log in, hand over one message, and turn what the
server answered into an outcome the sender acts on.

- 2xx: sent;
- 5xx: refused for good (``ProviderBadRequest`` with the server's own words);
- 4xx, or a connection that fails before ``DATA``: try again later (``ProviderUnavailable``);
- the connection lost once ``DATA`` was sent: the server may have taken the message, so the
  outcome is unknown (``ProviderUnavailable(outcome_unknown=True)``) and it is never resent.

The host is checked against private networks again right before connecting, and the socket goes
to the address that was checked (not to a second look-up a rebinding DNS could answer
differently); TLS still verifies the certificate against the host name.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass

from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderUnavailable,
)
from integrations.netguard import check_target

TIMEOUT = 20  # seconds per socket operation
SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str = ""
    password: str = ""


class _Pinned:
    """Connect to ``pinned`` (an address already checked) while naming ``host`` for TLS."""

    pinned = ""

    def _get_socket(self, host, port, timeout):
        return super()._get_socket(self.pinned or host, port, timeout)


class _PinnedSMTP(_Pinned, smtplib.SMTP):
    pass


class _PinnedSMTPSSL(_Pinned, smtplib.SMTP_SSL):
    pass


def open_session(conf: SmtpSettings) -> smtplib.SMTP:
    """A logged-in session. Raises ProviderUnavailable (DNS, connection, TLS, 4xx) or
    ProviderAuthError (the server refused the username or password), each saying which."""
    addresses = check_target(conf.host, conf.port, field="host")
    context = ssl.create_default_context()
    cls = _PinnedSMTPSSL if conf.security == "ssl" else _PinnedSMTP
    kwargs = {"context": context} if conf.security == "ssl" else {}
    smtp = cls(timeout=TIMEOUT, **kwargs)
    smtp.pinned = addresses[0] if addresses else ""
    smtp._host = conf.host  # the name TLS verifies the certificate against (smtplib's own)
    try:
        _connect(smtp, conf)
        if conf.security == "starttls":
            _starttls(smtp, conf, context)
        if conf.username:
            _login(smtp, conf)
    except Exception:
        close(smtp)
        raise
    return smtp


def deliver(conf: SmtpSettings, *, sender: str, recipient: str, data: bytes) -> str:
    """Hand one message over; returns the server's final answer (2xx)."""
    smtp = open_session(conf)
    try:
        try:
            code, reply = smtp.mail(sender)
            _expect(code, reply, "refused the sender")
            code, reply = smtp.rcpt(recipient)
            _expect(code, reply, "refused the recipient")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise ProviderUnavailable(
                "The mail server closed the connection.", detail=str(exc)
            ) from None
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPResponseException as exc:
            _expect(exc.smtp_code, exc.smtp_error, "refused the message")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise ProviderUnavailable(
                "The connection to the mail server was lost after the message was sent.",
                outcome_unknown=True,
                detail=str(exc),
            ) from None
        _expect(code, reply, "refused the message")
        return _words(reply)
    finally:
        close(smtp)


# Helpers


def _connect(smtp, conf: SmtpSettings) -> None:
    try:
        code, reply = smtp.connect(conf.host, conf.port)
    except ssl.SSLError as exc:
        raise ProviderUnavailable(_tls_words(conf, exc), detail=str(exc)) from None
    except socket.gaierror:
        raise ProviderUnavailable(f"The name {conf.host} does not resolve (DNS).") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise ProviderUnavailable(
            f"Could not connect to {conf.host}:{conf.port} ({_os_words(exc)}).", detail=str(exc)
        ) from None
    _expect(code, reply, "refused the connection")


def _starttls(smtp, conf: SmtpSettings, context) -> None:
    try:
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            raise ProviderBadRequest(
                f"{conf.host} does not offer STARTTLS: choose security “ssl” or “none”."
            )
        smtp.starttls(context=context)
    except ssl.SSLError as exc:
        raise ProviderUnavailable(_tls_words(conf, exc), detail=str(exc)) from None
    except smtplib.SMTPResponseException as exc:
        _expect(exc.smtp_code, exc.smtp_error, "refused STARTTLS")
    except (OSError, smtplib.SMTPException) as exc:
        raise ProviderUnavailable(f"TLS with {conf.host} failed ({_os_words(exc)}).") from None


def _login(smtp, conf: SmtpSettings) -> None:
    try:
        smtp.login(conf.username, conf.password)
    except smtplib.SMTPAuthenticationError as exc:
        raise ProviderAuthError(
            f"Authentication failed: the server refused the username or password "
            f"({exc.smtp_code} {_words(exc.smtp_error)}).",
            status=exc.smtp_code,
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise ProviderBadRequest(
            f"{conf.host} does not accept a login on this connection: check the security "
            "setting (most servers want STARTTLS or SSL before a password)."
        ) from None
    except smtplib.SMTPResponseException as exc:
        _expect(exc.smtp_code, exc.smtp_error, "refused the login")
    except (OSError, smtplib.SMTPException) as exc:
        raise ProviderUnavailable(f"The login to {conf.host} failed ({_os_words(exc)}).") from None


def _expect(code: int, reply, doing: str) -> None:
    if 200 <= code < 400:
        return
    words = f"The mail server {doing}: {code} {_words(reply)}"
    if 500 <= code < 600:
        raise ProviderBadRequest(words, status=code)
    raise ProviderUnavailable(words, status=code)


def _words(reply) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply or "")
    return " ".join(text.split())[:300]


def _tls_words(conf: SmtpSettings, exc: Exception) -> str:
    reason = getattr(exc, "reason", "") or type(exc).__name__
    return f"TLS with {conf.host} failed ({reason}): check the port and security setting."


def _os_words(exc: Exception) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return getattr(exc, "strerror", None) or type(exc).__name__


def close(smtp) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
