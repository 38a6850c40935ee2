"""Outbound safety: webhook URLs may only reach public internet addresses.

A webhook URL is chosen by a customer, and the worker that calls it sits inside our network: without
this check a customer could make us POST to the database port, a cloud metadata service
(169.254.169.254) or an admin interface on localhost. Development and tests set
``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` to reach receivers on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL is malformed or points somewhere a webhook must not go; the message says why."""


def split_url(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an acceptable webhook URL, or :class:`UnsafeURL`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("only http:// and https:// URLs are accepted")
    if not parts.hostname:
        raise UnsafeURL("the URL has no host")
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL end up in listings and logs; the secret is the place for them.
        raise UnsafeURL("credentials in the URL are not accepted; use the endpoint secret")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def is_public(address: IPAddress) -> bool:
    """True for addresses on the public internet.

    ``is_global`` already excludes private, loopback, link-local, reserved, shared (100.64/10)
    and unspecified ranges; multicast is excluded on top, and an IPv4 address wrapped in IPv6
    (``::ffff:127.0.0.1``) is judged as the IPv4 address it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, or :class:`UnsafeURL` if it resolves to none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"cannot resolve host {host!r}: {exc}") from None
    return _addresses(infos)


def _addresses(infos: list) -> list[IPAddress]:
    # The scope id of a link-local IPv6 address ("fe80::1%eth0") is dropped: it is refused anyway.
    found = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not found:
        raise UnsafeURL("the host resolves to no address")
    return list(dict.fromkeys(found))


def check_addresses(host: str, addresses: list[IPAddress]) -> None:
    """Refuse if *any* address is not public: a name with one public and one private address
    would otherwise reach the private one half of the time."""
    bad = [a for a in addresses if not is_public(a)]
    if bad:
        raise UnsafeURL(
            f"{host} resolves to a private, loopback, link-local or reserved address ({bad[0]}); "
            "set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow it"
        )


def check_url(url: str, *, allow_private: bool) -> None:
    """Validate a URL for a new endpoint: syntax, scheme, and (unless allowed) where it points."""
    _, host, port = split_url(url)
    if allow_private:
        return
    check_addresses(host, resolve(host, port))
