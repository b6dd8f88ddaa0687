"""Addresses the site itself calls (counter webhooks): public http(s) only.

A URL whose host is, or resolves to, a loopback, private, link-local, unique-local or otherwise
non-public address is refused, so that staff cannot make the worker POST into the site's own network.
Checked where staff enter the address (forms), not in ``save()``.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(_("The host of this address cannot be found."), code="unresolvable") from exc
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses


def validate_public_http_url(url: str) -> None:
    """``ValidationError`` unless ``url`` is http(s) and every address its host resolves to is public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Give an http:// or https:// address."), code="scheme")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ValidationError(_("Give an http:// or https:// address."), code="scheme") from exc
    addresses = _addresses(parts.hostname, port)
    if not addresses or any(not address.is_global for address in addresses):
        raise ValidationError(
            _("This address is not public (a loopback, private or link-local address); give a public one."),
            code="not_public",
        )
