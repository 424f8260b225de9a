"""What the benchmarks share: Django set up on a throwaway database, and one way to time
a request (median and 95th percentile server time, and its queries)."""

import os
import statistics
import tempfile
import time
from pathlib import Path

TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
_tmp = tempfile.TemporaryDirectory()


def setup_django(*, own_media: bool = False) -> None:
    """Production-like settings (DEBUG off) on SQLite in a temporary folder unless
    DATABASE_URL says otherwise; `own_media` keeps uploaded and sealed files there too.
    The benchmarks then run on the test runner's throwaway copy of that database."""
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("REQUEST_LOG", "0")  # the figures, not a log line per request
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp.name}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ics_governance.settings")
    if own_media:
        os.environ["MEDIA_ROOT"] = str(Path(_tmp.name) / "media")
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    settings.STATIC_ROOT = None
    settings.ALLOWED_HOSTS = ["testserver"]


def measure(label: str, request, *, runs: int, warm_up: int = 3, width: int = 52, decimals: int = 1) -> None:
    """Print the median and 95th-percentile time of `request()` over `runs` calls after
    `warm_up` more, and the queries of one call (transaction control not counted)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm_up):
        request()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = request()
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (label, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        request()
    queries = [q for q in captured.captured_queries if q["sql"].split()[0] not in TRANSACTION_CONTROL]
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"{label:{width}} {statistics.median(times):10.{decimals}f} {p95:8.{decimals}f} {len(queries):8d}")
