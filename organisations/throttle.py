"""A rate limit shared by every app process, kept in the database.

Used for password reset, which sends an e-mail to whatever address is typed in: without
a limit, anyone could flood a director's inbox (30 e-mails in 1.5 s) or use the site to
send mail to strangers. django-axes already throttles sign-in, but only sign-in.

Why a table (ThrottleHit) and not Django's cache: the default cache is per process, and
production runs several gunicorn workers, so each would count separately. The database
cache would be shared but needs a `createcachetable` step at every deployment, and its
increments are read-then-write, so parallel requests can both slip under the limit. A
plain table needs only `migrate`, and recording the hit before counting (below) makes
parallel requests see each other.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.crypto import salted_hmac

from organisations.models import ThrottleHit


def _hashed(scope: str, key: str) -> str:
    # Keyed with SECRET_KEY: the table never holds the e-mail or network address itself,
    # and the hashes cannot be reversed by trying likely addresses without the key.
    return salted_hmac(f"ics_governance.throttle.{scope}", key, algorithm="sha256").hexdigest()


def allow(scope: str, key: str, *, limit: int, window: datetime.timedelta) -> bool:
    """Count one request for `key` under `scope`; say whether it is within `limit` per `window`.

    The hit is written first and then counted, each committed on its own (call this
    outside a transaction, as the password reset view does), so two requests at the same
    moment both see both hits: at worst both are refused, never both allowed past the
    limit. A refused hit is taken out again, so refusals do not prolong the wait: a
    request is allowed again as soon as the oldest allowed one is a window old.
    """
    now = timezone.now()
    hashed = _hashed(scope, key)
    # Old hits are never needed again; dropping them here keeps the table small.
    ThrottleHit.objects.filter(scope=scope, at__lt=now - window).delete()
    hit = ThrottleHit.objects.create(scope=scope, key=hashed, at=now)
    if ThrottleHit.objects.filter(scope=scope, key=hashed, at__gte=now - window).count() <= limit:
        return True
    hit.delete()
    return False
