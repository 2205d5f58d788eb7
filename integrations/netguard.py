"""No path into private networks: an SMTP host or an outbound-webhook URL an admin types is
refused when it resolves to a loopback, private, link-local (or otherwise non-public) address.

Checked when the connection is saved and again right before each send, since a name can be
pointed somewhere else after it was checked (DNS rebinding). ``ALLOW_PRIVATE_NETWORK_TARGETS``
(on by default with ``DEBUG``) turns the check off for local development and tests.
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings

from followups.errors import InvalidSetting, ProviderUnavailable


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to; ProviderUnavailable (transient) when it does not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise ProviderUnavailable(f"The name {host} does not resolve (DNS).") from None
    return sorted({info[4][0] for info in infos})


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(host: str, port: int, *, field: str = "") -> list[str]:
    """Refuse ``host`` when any address it resolves to is not public (InvalidSetting naming
    ``field``); returns the addresses. Does nothing when private targets are allowed."""
    if settings.ALLOW_PRIVATE_NETWORK_TARGETS:
        return []
    addresses = resolve(host, port)
    private = [a for a in addresses if not is_public(a)]
    if private:
        raise InvalidSetting(
            f"{host} resolves to a private, loopback or link-local address ({private[0]}); "
            "only public hosts can be used.",
            field=field,
        )
    return addresses
