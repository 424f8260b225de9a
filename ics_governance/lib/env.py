"""Typed readers for environment variables that reject bad values.

Settings are configured only through the environment (one settings file, no
production-only code paths). Each helper raises ImproperlyConfigured with a message
naming the variable and what it accepts, so a typo such as DEBUG=ture fails at start-up
instead of silently meaning "off".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value: use one of 1, true, yes, on, 0, false, no, off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is too small: it must be at least {minimum}.")
    return number


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret_key(name: str, *, debug: bool, development_default: str) -> str:
    """The secret key is required when DEBUG is off; with DEBUG on a fixed key is fine."""
    value = _raw(name)
    if value is not None:
        if not debug and len(value) < 50:
            raise ImproperlyConfigured(
                f"{name} is too short ({len(value)} characters): use at least 50 random characters, "
                'for example from: python -c "import secrets; print(secrets.token_urlsafe(50))"'
            )
        return value
    if debug:
        return development_default
    raise ImproperlyConfigured(
        f"{name} is required when DEBUG is off. For local development set DEBUG=1 "
        "(make run does); in production set a long random value."
    )


def database_from_url(url: str, *, base_dir: Path, conn_max_age: int) -> dict[str, Any]:
    """Translate a DATABASE_URL into a Django DATABASES entry.

    Accepted forms:
      sqlite:///relative/or/absolute/path.sqlite3   (sqlite:////abs/path for an absolute path)
      postgres://user:password@host:port/name?sslmode=require   (also postgresql://)
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("/"):
            path = path[1:]
        if not path:
            raise ImproperlyConfigured(
                f"DATABASE_URL={url!r} names no file: use sqlite:///db.sqlite3 or sqlite:////absolute/path."
            )
        name = Path(path) if Path(path).is_absolute() else base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # `make run` serves several requests at once (two directors autosaving).
            # A transaction that takes the write lock when it begins waits its turn;
            # a deferred one that reads first and then writes can fail at once with
            # "database is locked" when another got there between.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database after the host.")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} has a port that is not a number.") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            # Persistent connections: measured, PostgreSQL pages ran at half the
            # throughput when every request opened a new connection.
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r} is not supported: use sqlite:///path or postgres://user:password@host:port/name."
    )
