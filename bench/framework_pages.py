"""Benchmark: server time and query count of the framework pages.

    make bench                     # SQLite, a throwaway database file
    DATABASE_URL=postgres://… make bench

Builds a fresh database, loads the real framework files, then requests each page many
times through Django's test client (no network, no browser) and prints the median and
95th percentile server time and the number of queries per request.
"""

import os
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
tmp = tempfile.TemporaryDirectory()
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp.name}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ics_governance.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "200"))
PAGES = ["/frameworks/", "/frameworks/well-led/2017/", "/frameworks/whole-system-working/1/"]


def main() -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    settings.STATIC_ROOT = None  # nothing collected; the pages are what is measured
    is_postgres = connection.vendor == "postgresql"
    if is_postgres:
        # Never touch a real database: bench on a throwaway test database beside it.
        from django.test.utils import get_runner

        runner = get_runner(settings)(verbosity=0)
        old = runner.setup_databases()
    else:
        call_command("migrate", verbosity=0)
    call_command("load_frameworks", stdout=StringIO())

    from django.contrib.auth.models import User

    client = Client()
    # Pages need a sign-in; the session and user queries are part of what is measured.
    client.force_login(User.objects.get_or_create(username="bench-reader")[0])
    print(f"database: {connection.vendor}; {RUNS} requests per page after 10 warm-up requests")
    print(f"{'page':42} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for page in PAGES:
        for _ in range(10):
            assert client.get(page).status_code == 200
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            response = client.get(page)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(page)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{page:42} {statistics.median(times):10.2f} {p95:8.2f} {len(queries):8d}")

    if is_postgres:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
