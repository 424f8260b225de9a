"""Settings helpers reject bad environment values with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase

from ics_governance.lib.env import database_from_url, env_bool, env_int, env_list, env_secret_key

BASE = Path("/srv/app")


class EnvHelperTests(SimpleTestCase):
    def test_env_bool(self):
        for raw, expected in [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False), ("", True)]:
            with self.subTest(raw=raw), mock.patch.dict(os.environ, {"FLAG": raw}):
                self.assertIs(env_bool("FLAG", True), expected)
        with mock.patch.dict(os.environ, {"FLAG": "ture"}):
            with self.assertRaisesMessage(ImproperlyConfigured, "FLAG='ture' is not a yes/no value"):
                env_bool("FLAG", False)

    def test_env_int(self):
        with mock.patch.dict(os.environ, {"N": "12"}):
            self.assertEqual(env_int("N", 0), 12)
        with mock.patch.dict(os.environ, {"N": "twelve"}):
            with self.assertRaisesMessage(ImproperlyConfigured, "N='twelve' is not a whole number"):
                env_int("N", 0)
        with mock.patch.dict(os.environ, {"N": "-1"}):
            with self.assertRaisesMessage(ImproperlyConfigured, "N=-1 is too small"):
                env_int("N", 0, minimum=0)

    def test_env_list(self):
        with mock.patch.dict(os.environ, {"HOSTS": " a.example , b.example,, "}):
            self.assertEqual(env_list("HOSTS", []), ["a.example", "b.example"])
        with mock.patch.dict(os.environ, {}, clear=True):
            self.assertEqual(env_list("HOSTS", ["localhost"]), ["localhost"])

    def test_secret_key_is_required_without_debug(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            self.assertEqual(env_secret_key("SECRET_KEY", debug=True, development_default="dev"), "dev")
            with self.assertRaisesMessage(ImproperlyConfigured, "SECRET_KEY is required when DEBUG is off"):
                env_secret_key("SECRET_KEY", debug=False, development_default="dev")
        with mock.patch.dict(os.environ, {"SECRET_KEY": "short"}):
            with self.assertRaisesMessage(ImproperlyConfigured, "SECRET_KEY is too short"):
                env_secret_key("SECRET_KEY", debug=False, development_default="dev")

    def test_database_url_sqlite(self):
        db = database_from_url("sqlite:///db.sqlite3", base_dir=BASE, conn_max_age=600)
        self.assertEqual(
            db,
            {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": BASE / "db.sqlite3",
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            },
        )
        db = database_from_url("sqlite:////var/data/ics.sqlite3", base_dir=BASE, conn_max_age=600)
        self.assertEqual(db["NAME"], Path("/var/data/ics.sqlite3"))

    def test_database_url_postgres_uses_persistent_connections(self):
        db = database_from_url(
            "postgres://ics:p%40ss@db.internal:6543/ics?sslmode=require", base_dir=BASE, conn_max_age=300
        )
        self.assertEqual(db["ENGINE"], "django.db.backends.postgresql")
        self.assertEqual((db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]), ("ics", "p@ss", "db.internal", "6543"))
        self.assertEqual(db["NAME"], "ics")
        self.assertEqual(db["OPTIONS"], {"sslmode": "require"})
        self.assertEqual(db["CONN_MAX_AGE"], 300)
        self.assertTrue(db["CONN_HEALTH_CHECKS"])

    def test_database_url_rejects_what_it_cannot_use(self):
        for url, message in [
            ("mysql://u@h/db", "is not supported"),
            ("postgres://u@h/", "names no database"),
            ("postgres://u@h:port/db", "port that is not a number"),
            ("sqlite://", "names no file"),
        ]:
            with self.subTest(url=url), self.assertRaisesMessage(ImproperlyConfigured, message):
                database_from_url(url, base_dir=BASE, conn_max_age=0)


class SettingsStartupTests(SimpleTestCase):
    """The real settings module, started in a fresh process with a given environment."""

    def run_check(self, **env: str) -> subprocess.CompletedProcess:
        environ = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_HOST"}
        }
        environ.update(env, DJANGO_SETTINGS_MODULE="ics_governance.settings")
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=settings.BASE_DIR,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def test_it_refuses_to_start_without_a_secret_key_in_production(self):
        result = self.run_check(DEBUG="0")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY is required when DEBUG is off", result.stderr)

    def test_a_fresh_clone_works_without_any_environment(self):
        result = self.run_check()
        self.assertNotIn("SECRET_KEY is required", result.stderr)
        self.assertIn("DEBUG", result.stdout + result.stderr)  # the deploy check flags it, as it should

    def test_with_a_database_url_debug_is_off_and_a_secret_key_is_required(self):
        result = self.run_check(DATABASE_URL="postgres://nobody@127.0.0.1:5432/none")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY is required when DEBUG is off", result.stderr)

    def test_it_refuses_a_malformed_debug_value(self):
        result = self.run_check(DEBUG="maybe")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DEBUG='maybe' is not a yes/no value", result.stderr)

    def test_deploy_check_is_clean_with_production_values(self):
        result = self.run_check(
            DEBUG="0",
            SECRET_KEY="k" * 20 + "-production-like-secret-key-value-0123456789",
            ALLOWED_HOSTS="ics.example.nhs.uk",
            EMAIL_HOST="smtp.example.nhs.uk",
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues", result.stdout)
