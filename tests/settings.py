"""Test settings: the real settings with test-only speed-ups, nothing else.

A fixed SECRET_KEY lets the suite run with DEBUG off (as Django's test runner does)
without a real secret in the environment.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "x" * 40)

from ics_governance.settings import *  # noqa: F403

# Fast hashing: the default PBKDF2 makes every login in a test take ~0.3 s.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic in tests: serve the source files, unhashed.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests never redirect to HTTPS; the deploy check test sets production values itself.
SECURE_SSL_REDIRECT = False
# No collected static folder in tests; WhiteNoise serves from the app folders instead.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Uploaded evidence goes to a throwaway folder, never the project's media/.
import tempfile  # noqa: E402

MEDIA_ROOT = tempfile.mkdtemp(prefix="ics-test-media-")

# Sealing a report renders a PDF (about a second). Tests that sign off do not need it,
# so tasks are only recorded; tests/reporting runs them through "immediate".
TASKS = {
    "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
    # The worker's queue, as in production (tests/operations/test_worker.py).
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
# E-mails go out at once, so that tests read them in the outbox.
EMAIL_TASK_BACKEND = "immediate"
