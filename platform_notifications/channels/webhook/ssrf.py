"""Server-side request forgery guard: a webhook may only reach public addresses, unless allow-listed.

Checked when an endpoint is registered and again when each request connects (``guarded_session`` checks
the address the socket actually connected to), so a DNS name that later resolves to a private address
(rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from platform_notifications.config.settings import get_setting

#: Cloud metadata services: link-local on most clouds, but some use other addresses.
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
            ipaddress.ip_address("100.100.100.200")}  # fmt: skip


class UnsafeURL(ValueError):
    """The URL is not allowed as a webhook target; the message says why."""


def _allowed(host: str, address: ipaddress._BaseAddress | None) -> bool:
    for entry in get_setting("NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS"):
        entry = str(entry).strip().lower()
        if entry == host.lower():
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def check_address(host: str, address: str) -> None:
    """Raise ``UnsafeURL`` unless ``address`` (what ``host`` resolved to) is public or allow-listed."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if _allowed(host, ip):
        return
    if ip in METADATA or not ip.is_global or ip.is_multicast:
        kind = "a metadata" if ip in METADATA else "a private, loopback or link-local"
        raise UnsafeURL(f"{host} resolves to {ip}, {kind} address")


def check_url(url: str) -> list[str]:
    """Validate scheme and host of ``url`` and every address it resolves to now; returns the addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("the URL must be http(s) with a host name")
    if parts.username or parts.password:
        raise UnsafeURL("the URL must not carry credentials")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise UnsafeURL(f"{host} does not resolve: {error}") from error
    addresses = sorted({info[4][0] for info in infos})
    for address in addresses:
        check_address(host, address)
    return addresses
