"""Load test: `make serve` (gunicorn, 2 workers × 4 threads, PostgreSQL) under 50
concurrent connections for 30 s each, from a load generator on 127.0.0.1.

    .venv/bin/python bench/load.py          # needs wrk (apt-get install wrk) and PostgreSQL

It makes a throwaway database (`ics_load` on the local server, dropped first), builds a
trust with 50 directors on an open assessment and last year's signed-off assessment with
its sealed PDF, starts `scripts/serve` on port 8200, and measures with wrk:
the scoring page of a section, the report page and a sealed PDF download; then the
autosave endpoint with 50 Python threads, one director each, each saving its own line
(wrk cannot follow an answer's version from one save to the next). Prints requests per
second, p50, p99 and errors. Targets: ≥ 250 requests/s on the section page, p99 ≤ 300
ms, zero errors. The load generator shares the machine's 2 cores with the server.
"""

import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "ics_load"
PORT = 8200
SECONDS = int(os.environ.get("LOAD_SECONDS", "30"))
CONNECTIONS = 50
ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "DEBUG": "0",
    "SECRET_KEY": "load-test-only-secret-key-" + "x" * 40,
    "TASK_BACKEND": "database",
    "PORT": str(PORT),
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "REQUEST_LOG": "0",
    "MEDIA_ROOT": "/tmp/ics-load-media",
}


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)


def build() -> dict:
    """The data, through Django in this process, against the same database as the server."""
    os.environ.update(ENV)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ics_governance.settings"
    import django

    django.setup()
    import datetime
    import random
    from io import StringIO

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from assessments import services
    from assessments.models import AgreedScore, Answer
    from frameworks.models import Framework
    from organisations.models import Membership, Organisation
    from reporting.services import seal

    call_command("migrate", verbosity=0)
    # The sealing below renders the report with the production static files storage,
    # which needs the collected files' manifest (scripts/serve collects them again later).
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_frameworks", stdout=StringIO())
    call_command("load_organisations", stdout=StringIO())
    trust = Organisation.objects.get(ods_code="RR8")
    secretary = User.objects.create_user("load-secretary", "s@example.org")
    chair = User.objects.create_user("load-chair", "c@example.org")
    Membership.objects.create(user=secretary, organisation=trust, role="secretary")
    Membership.objects.create(user=chair, organisation=trust, role="chair")
    directors = []
    for n in range(CONNECTIONS):
        user = User.objects.create_user(f"load-director-{n}", f"d{n}@example.org")
        directors.append(
            Membership.objects.create(user=user, organisation=trust, role="director", director_kind="executive")
        )
    frameworks = list(Framework.objects.filter(status="current"))

    def assessment(year: int):
        details = services.AssessmentDetails(
            title="Load", period_start_year=year, deadline=timezone.localdate(), anonymous=True, frameworks=frameworks
        )
        made = services.create_assessment(trust, details, by=secretary)
        services.invite_respondents(made, directors, by=secretary)
        services.open_assessment(made, by=secretary, notify=False)
        return made

    rng = random.Random(5)
    last = assessment(2025)
    answers = list(Answer.objects.filter(respondent__assessment=last))
    for answer in answers:
        answer.level = rng.randint(2, 4)
    Answer.objects.bulk_update(answers, ["level"])
    last.respondents.update(submitted_at=timezone.now())
    services.start_moderation(last, by=secretary)
    AgreedScore.objects.bulk_create(
        AgreedScore(assessment=last, line=line, level=3, updated_by=chair) for line in last.included_lines()
    )
    last = services.sign_off(last, by=chair)
    seal(last.latest_sign_off())
    assessment(2026)

    def session(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    del datetime
    return {
        "chair": session(chair),
        "directors": [(session(m.user), m.user.pk) for m in directors],
        "cookie_name": settings.SESSION_COOKIE_NAME,
    }


def wrk(label: str, path: str, cookie: str) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--latency",
            "--timeout",
            "10s",
            "-H",
            f"Cookie: {cookie}",
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    p50 = re.search(r"50%\s+([\d.]+)(\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)

    def ms(match) -> float:
        value, unit = float(match[1]), match[2]
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "label": label,
        "rps": rps,
        "p50": ms(p50),
        "p99": ms(p99),
        "errors": int(errors[1]) if errors else 0,
        "socket": socket_errors[1] if socket_errors else "",
    }


def autosave(directors: list, cookie_name: str) -> dict:
    """One thread per director, each saving its own line, following its version."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS
    token = "loadtestcsrftoken" + "x" * 15

    def run(session_key: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        version, level = 0, 1
        headers = {
            "Cookie": f"{cookie_name}={session_key}; csrftoken={token}",
            "X-CSRFToken": token,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        mine, bad = [], 0
        while time.monotonic() < stop:
            level = level % 5 + 1
            body = f"W3.1-level={level}&W3.1-target_level=&W3.1-comment=&W3.1-version={version}"
            start = time.perf_counter()
            try:
                conn.request("POST", "/organisations/RR8/assessments/2026/score/line/W3.1/", body, headers)
                response = conn.getresponse()
                response.read()
            except OSError:
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
                continue
            mine.append((time.perf_counter() - start) * 1000)
            if response.status == 200:
                version += 1
            else:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=run, args=(key,)) for key, _ in directors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "label": "autosave (50 threads, own line each)",
        "rps": len(latencies) / SECONDS,
        "p50": statistics.median(latencies),
        "p99": quantiles[98],
        "errors": errors[0],
        "socket": "",
    }


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench/load.py needs wrk: sudo apt-get install wrk")
    probe = subprocess.run(["ss", "-ltn", f"sport = :{PORT}"], capture_output=True, text=True).stdout
    if f":{PORT}" in probe:
        sys.exit(f"Port {PORT} is in use: stop what listens there first.")
    psql(f'DROP DATABASE IF EXISTS "{DB}"')
    psql(f'CREATE DATABASE "{DB}"')
    data = build()
    # A session of its own, so that stopping its process group stops gunicorn and the worker too.
    server = subprocess.Popen(
        ["scripts/serve"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health/", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(1)
        else:
            sys.exit("The server did not become healthy.")
        name = data["cookie_name"]
        director = f"{name}={data['directors'][0][0]}"
        chair = f"{name}={data['chair']}"
        results = [
            wrk("scoring page, section W3", "/organisations/RR8/assessments/2026/score/W3/", director),
            autosave(data["directors"], name),
            wrk("report page (signed off, 78 lines)", "/organisations/RR8/assessments/2025/report/", chair),
            wrk("sealed PDF download", "/organisations/RR8/assessments/2025/report/pdf/", chair),
        ]
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        except ProcessLookupError:
            pass
    workers, threads = ENV.get("WEB_CONCURRENCY", "2"), ENV.get("GUNICORN_THREADS", "4")
    print(
        f"{CONNECTIONS} connections, {SECONDS} s each, gunicorn {workers} workers × {threads} threads, "
        f"PostgreSQL, {os.cpu_count()} cores"
    )
    print("| Request | Requests/s | p50 | p99 | Errors |")
    print("|---|---|---|---|---|")
    for r in results:
        extra = f" ({r['socket']})" if r["socket"] else ""
        print(f"| {r['label']} | {r['rps']:.0f} | {r['p50']:.0f} ms | {r['p99']:.0f} ms | {r['errors']}{extra} |")


if __name__ == "__main__":
    main()
