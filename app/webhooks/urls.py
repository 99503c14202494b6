"""Which webhook URLs may be called: never the server's own network (SSRF).

A URL is refused unless every address its host resolves to is a public one: loopback, link-local (the
cloud metadata service at 169.254.169.254), private, shared, multicast, reserved and unspecified ranges
are refused, IPv4 inside IPv6 included. An admin may allow networks (`NEMO_WEBHOOK_ALLOWED_NETWORKS`,
e.g. a Home Assistant on the LAN). The check runs when a hook is registered and again before every
delivery, because a name can be made to resolve elsewhere later; redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
URL_MAX = 2000


class UnsafeUrl(ValueError):
    """The URL is malformed or reaches an address webhooks may not call."""


def parse_networks(text: str) -> list[Network]:
    """`NEMO_WEBHOOK_ALLOWED_NETWORKS`: comma-separated CIDRs ("192.168.1.20/32, 10.0.0.0/8")."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def resolve(host: str, port: int) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def _plain(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def check_url(url: str, allowed: Sequence[Network] = (), resolver: Resolver = resolve) -> None:
    """Raise UnsafeUrl unless `url` is http(s) to a host whose every address is public or allowed."""
    if len(url) > URL_MAX:
        raise UnsafeUrl(f"the URL is longer than {URL_MAX} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("the URL must be http:// or https:// with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl("the URL's port is not a number from 0 to 65535") from exc
    try:
        found = resolver(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"the host {parts.hostname!r} does not resolve") from exc
    if not found:
        raise UnsafeUrl(f"the host {parts.hostname!r} does not resolve")
    for text in found:
        address = _plain(ipaddress.ip_address(text.split("%")[0]))
        if any(address in network for network in allowed):
            continue
        if not address.is_global or address.is_multicast:
            raise UnsafeUrl(
                f"{parts.hostname} resolves to {address}, a loopback, private, link-local or reserved "
                "address; an admin can allow it with NEMO_WEBHOOK_ALLOWED_NETWORKS"
            )


def post_checked(url: str, allowed: Sequence[Network], timeout: float, **kwargs: Any) -> requests.Response:
    """POST to `url` once `check_url` passes it (UnsafeUrl otherwise), never following a redirect, which
    could lead inside: what webhooks and voice actions send out goes through here."""
    check_url(url, allowed)
    return requests.post(url, timeout=timeout, allow_redirects=False, **kwargs)
