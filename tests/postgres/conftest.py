"""Tests that only mean something on PostgreSQL, collected only when the suite runs on it.

They start worker processes that share the test database, which an in-memory SQLite
test database cannot be. Rather than a skip on SQLite, this folder is simply not part
of a SQLite run; `.ci/run`'s PostgreSQL pass (`DATABASE_URL=postgres://…`) collects
and runs it, and fails if it does not pass.
"""

from django.conf import settings

if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    collect_ignore_glob = ["test_*.py"]
