"""Which network address a request comes from, for throttling sign-in and password reset.

Directly on the internet, that is the connection's address (REMOTE_ADDR). Behind a
reverse proxy or load balancer, every connection comes from the proxy, so throttling by
REMOTE_ADDR would put everyone in one bucket; the client's address is then in the
X-Forwarded-For header, which each proxy appends to ("client, proxy1, proxy2").

Only the entries that our own proxies added can be trusted: anything further left was
sent by the client and can be forged. So settings.TRUSTED_PROXY_COUNT says how many
proxies stand in front of the app (the TRUSTED_PROXY_COUNT environment variable), and
the client is the entry that many places from the right. With 0 (the default) the header
is ignored entirely. A missing, short or malformed header falls back to REMOTE_ADDR,
which at worst shares one bucket among such requests: it never lets a client choose its
own address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _parse(value: str) -> str | None:
    """A normalised IP address from one address string, or None if it is not one.

    Accepts an address with a port ("203.0.113.7:51234", "[2001:db8::1]:443"), which
    some load balancers write; the result always fits django-axes' GenericIPAddressField.
    """
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if getattr(address, "scope_id", None):
        # fe80::1%eth0: the zone names an interface on the proxy, not the client.
        address = ipaddress.ip_address(value.split("%", 1)[0])
    return str(address)


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, as far as our own proxies vouch for it (see the module docstring).

    Also django-axes' AXES_CLIENT_IP_CALLABLE, so sign-in and password-reset throttling agree.
    """
    remote = _parse(request.META.get("REMOTE_ADDR", "") or "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    entries = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(entries) < proxies:
        # Fewer entries than proxies: the request did not come through all of them.
        return remote
    return _parse(entries[-proxies]) or remote
