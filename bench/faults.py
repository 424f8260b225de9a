"""Faults: PostgreSQL stopped and started again under autosave load, and the worker
killed in the middle of a sealed PDF's render.

    .venv/bin/python bench/faults.py     # as root or as the postgres user; needs PostgreSQL's server binaries

Everything runs against a throwaway PostgreSQL cluster of this script's own: `initdb`
into a temporary folder, started with `pg_ctl` on port 55433 (the binaries in PG_BIN,
default /usr/lib/postgresql/15/bin; as the postgres user when run as root, since
initdb refuses root), stopped and removed at the end, on Ctrl-C too. The machine's own
PostgreSQL server is never touched: only this cluster is stopped and started.

The data are bench/load.py's (`load.build`: a trust with 50 directors, an open
assessment and last year's sealed one). The app runs as the two systemd units of
deploy/systemd run it: gunicorn (ics_governance/gunicorn.conf.py: 2 workers × 4
threads unless WEB_CONCURRENCY and GUNICORN_THREADS say otherwise) and `manage.py
run_worker`, each a process of its own, after the units' migrate and collectstatic.
Not through scripts/serve: it stops gunicorn as soon as the worker ends, so the worker
could not be killed alone.

Fault A: the 50 directors autosave their own answer continuously, each following its
answer's version from the responses, as the page does (bench/load.py's autosave
threads follow it after a 200; here after a 409 too, which carries the version now
stored); the cluster is stopped (`pg_ctl stop -m fast`) for OUTAGE_SECONDS and started
again. Nothing else is restarted.
Recorded: requests and errors before, during and after the outage, the time from the
restart to the first save that succeeds; then every director's answer in the database
is compared with the last save the app acknowledged (200 and its version): the same
version and level, or a newer version (a save stored although the outage turned its
response into an error).

Fault B: the open assessment is signed off through the services, which queues
`reporting.tasks.seal_report` on the database queue; once the worker has claimed it
(RUNNING), and before it is sealed, the worker is killed (SIGKILL; gunicorn is left
alone) and a new one started, as systemd's Restart=always would. run_worker puts back
a task whose worker has not been seen for STALE_AFTER; the new worker seals it. Checked:
exactly one sealed report for the sign-off, its file whole (sha256 and size as
recorded, a PDF that opens, with the recorded number of pages), and no file in
MEDIA_ROOT that no row refers to.

Prints the figures and the checks; exits 1 if a check fails. FAULT_WARM_SECONDS,
FAULT_OUTAGE_SECONDS and FAULT_AFTER_SECONDS change fault A's timing.
"""

import contextlib
import datetime
import hashlib
import http.client
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT = 55433
APP_PORT = 8201
DB = "ics_faults"
PY = str(ROOT / ".venv" / "bin" / "python")
WARM_SECONDS = float(os.environ.get("FAULT_WARM_SECONDS", "10"))
OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "5"))
AFTER_SECONDS = float(os.environ.get("FAULT_AFTER_SECONDS", "20"))
# The app must answer again this soon after PostgreSQL is back.
RECOVERY_LIMIT = 10.0
# An autosave that failed is tried again after this pause (a person typing on), so
# that 50 threads do not spin on instant errors.
ERROR_PAUSE = 0.2
# The worker is killed this long after it claimed the sealing: in the middle of the
# render, which takes a few seconds for this assessment (the re-run's is printed; the
# run checks that the task was still running, with nothing sealed, when it was killed).
KILL_AFTER = 1.0
# run_worker's STALE_AFTER (45 s) + a heartbeat (15 s) + the render, with room to spare.
PDF_TIMEOUT = 240.0
# The worker's heartbeat resumes within run_worker's RETRY_SECONDS of the restart.
HEALTH_AFTER_OUTAGE = 30.0
LINE = "W3.1"
SAVE_PATH = f"/organisations/RR8/assessments/2026/score/line/{LINE}/"
VERSION = re.compile(rf'name="{re.escape(LINE)}-version" value="(\d+)"')


class Cluster:
    """A PostgreSQL cluster in a temporary folder, on its own port and socket folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgresql.log"

    def _run(self, *command: str) -> None:
        # initdb and pg_ctl refuse to run as root: they run as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # A session of its own, so that a Ctrl-C at the terminal reaches this script
        # (which stops the cluster in order) rather than the server directly.
        done = subprocess.run(
            [*prefix, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        if done.returncode:
            raise RuntimeError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()}")

    def init(self) -> None:
        self.folder.mkdir()
        if os.geteuid() == 0:
            # The postgres user needs to reach its folder through the run's (mkdtemp's
            # are private), and to own it.
            self.folder.parent.chmod(0o711)
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {PG_PORT} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop_if_running(self) -> None:
        """At the end, whatever happened: the pid file is there while a server runs (or
        is still shutting down, after an interrupted stop)."""
        if (self.data / "postmaster.pid").exists():
            self.stop()

    def create_database(self, name: str) -> None:
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", name], check=True
        )

    def version(self) -> str:
        return subprocess.run([str(PG_BIN / "postgres"), "--version"], capture_output=True, text=True).stdout.strip()


@dataclass
class Saves:
    """What the autosaving directors saw: each request (start, end, outcome: the status
    or the exception's name); per director, the last save acknowledged (version, level)
    and the latest version a response showed (a 200's or a 409's); and the saves found
    stored although their response was an error (the versions a 409 skipped)."""

    records: list = field(default_factory=list)
    acknowledged: dict = field(default_factory=dict)
    known: dict = field(default_factory=dict)
    skipped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def autosave(directors: list, cookie_name: str, saves: Saves, stop: threading.Event) -> list[threading.Thread]:
    """One thread per director, saving its own answer to LINE until `stop`, following
    the version each response carries (200: the saved one; 409: the one now stored,
    after a save that committed although its response was lost)."""
    token = "faulttestcsrftoken" + "x" * 14

    def run(session_key: str, user_pk: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=10)
        headers = {
            "Cookie": f"{cookie_name}={session_key}; csrftoken={token}",
            "X-CSRFToken": token,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        version, level = 0, 1
        while not stop.is_set():
            level = level % 5 + 1
            body = f"{LINE}-level={level}&{LINE}-target_level=&{LINE}-comment=&{LINE}-version={version}"
            start = time.monotonic()
            try:
                conn.request("POST", SAVE_PATH, body, headers)
                response = conn.getresponse()
                text = response.read().decode()
                outcome = response.status
            except (OSError, http.client.HTTPException) as exc:
                outcome, text = type(exc).__name__, ""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=10)
            end = time.monotonic()
            found = VERSION.search(text)
            with saves.lock:
                saves.records.append((start, end, outcome))
                if outcome == 200 and found:
                    saves.acknowledged[user_pk] = (int(found[1]), level)
                if outcome == 409 and found:
                    # Only this director saves this answer: the versions between ours
                    # and the stored one are saves of ours answered with an error.
                    saves.skipped += int(found[1]) - version
                if outcome in (200, 409) and found:
                    version = saves.known[user_pk] = int(found[1])
            if outcome != 200:
                stop.wait(ERROR_PAUSE)
        conn.close()

    threads = [threading.Thread(target=run, args=director, daemon=True) for director in directors]
    for thread in threads:
        thread.start()
    return threads


class App:
    """gunicorn and the worker as the systemd units run them, each in a session of its
    own so that one can be stopped (or killed) without the other."""

    def __init__(self, env: dict, folder: Path):
        self.env, self.folder = env, folder
        self.web = None
        self.workers: list[subprocess.Popen] = []

    def _start(self, command: list[str], log_name: str) -> subprocess.Popen:
        # Left open: the process writes to it until it stops.
        log = open(self.folder / log_name, "ab")
        return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)

    def collect_static(self) -> None:
        """The web unit's ExecStartPre; before load.build too, whose seal() renders a PDF
        with the collected files' manifest."""
        subprocess.run(
            [PY, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"], cwd=ROOT, env=self.env, check=True
        )

    def start_web(self) -> None:
        gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
        command = [gunicorn, "ics_governance.wsgi", "--config", "ics_governance/gunicorn.conf.py"]
        self.web = self._start(command, "web.log")

    def start_worker(self) -> subprocess.Popen:
        worker = self._start([PY, "manage.py", "run_worker"], f"worker-{len(self.workers) + 1}.log")
        self.workers.append(worker)
        return worker

    def worker_log(self) -> str:
        return "".join(path.read_text(errors="replace") for path in sorted(self.folder.glob("worker-*.log")))

    def stop(self) -> None:
        for process in [*self.workers, self.web]:
            if process is None or process.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def healthy(timeout: float) -> bool:
    """Whether /health/ says 200 (database, migrations, a worker seen) within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{APP_PORT}/health/", timeout=2).status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def heartbeat_since(moment: datetime.datetime, timeout: float) -> bool:
    """Whether a worker records its heartbeat after `moment` within `timeout`."""
    from django.db import connection

    from operations.models import WorkerHeartbeat

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection.close()
        if WorkerHeartbeat.objects.filter(seen_at__gt=moment).exists():
            return True
        time.sleep(0.5)
    return False


def fault_a(cluster: Cluster, app: App, data: dict) -> tuple[dict, list]:
    from django.db import connection
    from django.utils import timezone

    from assessments.models import Answer

    saves, stop = Saves(), threading.Event()
    worker = app.workers[-1]
    threads = autosave(data["directors"], data["cookie_name"], saves, stop)
    time.sleep(WARM_SECONDS)
    t_stop = time.monotonic()
    cluster.stop()
    t_stopped = time.monotonic()
    time.sleep(OUTAGE_SECONDS)
    t_start = time.monotonic()
    cluster.start()
    t_up, restarted_at = time.monotonic(), timezone.now()
    time.sleep(AFTER_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()

    records = sorted(saves.records, key=lambda r: r[0])
    before = [r for r in records if r[1] < t_stop]
    during = [r for r in records if r[1] >= t_stop and r[0] < t_up]
    after = [r for r in records if r[0] >= t_up]
    # A 409 is the app's right answer to a save based on a version that an unacknowledged
    # save has moved on; it is counted apart, not as an error.
    errors_before = [r for r in before if r[2] not in (200, 409)]
    errors_during = Counter(r[2] for r in during if r[2] not in (200, 409))
    first_error = min((r[1] for r in records if r[1] >= t_stop and r[2] not in (200, 409)), default=None)
    first_ok = min((r[1] for r in after if r[2] == 200), default=None)
    recovered = [r for r in records if first_ok is not None and r[0] >= first_ok]
    errors_recovered = Counter(r[2] for r in recovered if r[2] not in (200, 409))
    conflicts = sum(1 for r in records if r[2] == 409)

    # Every acknowledged save, against the database (this process's connection died
    # with the restart).
    connection.close()
    stored = {
        user: (level, version)
        for user, level, version in Answer.objects.filter(
            respondent__assessment__organisation__ods_code="RR8",
            respondent__assessment__period_start_year=2026,
            line__code=LINE,
        ).values_list("respondent__user_id", "level", "version")
    }
    lost = []
    for user, (version, level) in saves.acknowledged.items():
        stored_level, stored_version = stored.get(user, (None, -1))
        if stored_version < version or (stored_version == version and stored_level != level):
            lost.append((user, (level, version), (stored_level, stored_version)))
    # Stored but never acknowledged: the versions 409s skipped, and any stored after the
    # last version a response showed.
    unacknowledged = saves.skipped + sum(
        max(stored.get(user, (None, 0))[1] - version, 0) for user, version in saves.known.items()
    )

    figures = {
        "requests": (len(before), len(during), len(after)),
        "errors_before": len(errors_before),
        "errors_during": errors_during,
        "stop_seconds": t_stopped - t_stop,
        "start_seconds": t_up - t_start,
        "down_seconds": t_up - t_stop,
        "recovery": None if first_ok is None else first_ok - t_up,
        "client_outage": None if first_ok is None or first_error is None else first_ok - first_error,
        "errors_recovered": errors_recovered,
        "conflicts": conflicts,
        "acknowledged": sum(1 for r in records if r[2] == 200),
        "directors": len(saves.acknowledged),
        "lost": lost,
        "unacknowledged": unacknowledged,
    }
    worker_log = app.worker_log()
    figures["worker_errors"] = worker_log.count('"event":"worker_database_error"')
    figures["heartbeat_errors"] = worker_log.count('"event":"heartbeat_failed"')
    worker_alive = worker.poll() is None
    checks = [
        ("A: the app answers again without a restart", first_ok is not None and figures["recovery"] <= RECOVERY_LIMIT),
        ("A: no error once it answers again", not errors_recovered),
        ("A: gunicorn kept running (no restart)", app.web.poll() is None),
        ("A: the worker outlived the outage", worker_alive),
        ("A: the worker's heartbeat resumed after the restart", heartbeat_since(restarted_at, HEALTH_AFTER_OUTAGE)),
        ("A: /health/ says ok afterwards (database, migrations, worker)", healthy(HEALTH_AFTER_OUTAGE)),
        ("A: no acknowledged save lost", not lost and len(saves.acknowledged) == len(data["directors"])),
    ]
    return figures, checks


def sign_off_open_assessment():
    """The 2026 assessment, submitted, moderated and signed off through the services (as
    bench/load.py does last year's); the sign-off's commit queues seal_report."""
    from django.db import connection
    from django.utils import timezone

    from assessments import services
    from assessments.models import AgreedScore, Assessment
    from organisations.models import Membership

    connection.close()
    assessment = Assessment.objects.get(organisation__ods_code="RR8", period_start_year=2026)
    roles = {m.role: m.user for m in Membership.objects.filter(organisation=assessment.organisation)}
    assessment.respondents.update(submitted_at=timezone.now())
    services.start_moderation(assessment, by=roles["secretary"])
    AgreedScore.objects.bulk_create(
        AgreedScore(assessment=assessment, line=line, level=3, updated_by=roles["chair"])
        for line in assessment.included_lines()
    )
    return services.sign_off(assessment, by=roles["chair"]).latest_sign_off()


def stray_files(media_root: Path) -> list[str]:
    """Files under MEDIA_ROOT that no row of any model's file field refers to."""
    from django.apps import apps
    from django.db.models import FileField

    referenced = set()
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if isinstance(f, FileField):
                referenced.update(model._default_manager.exclude(**{f.name: ""}).values_list(f.name, flat=True))
    present = {str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file()}
    return sorted(present - referenced)


def pdf_opens(path: Path, pages: int) -> tuple[bool, str]:
    """A PDF's header, its end marker and the cross-reference its trailer points to;
    and pdfinfo's page count where poppler-utils is installed."""
    content = path.read_bytes()
    tail = content[-1024:]
    offset = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", tail)
    whole = content.startswith(b"%PDF-") and offset is not None
    if whole:
        at = content[int(offset[1]) :]
        whole = at.startswith(b"xref") or re.match(rb"\d+ \d+ obj", at) is not None
    if not shutil.which("pdfinfo"):
        return whole, "structure only (no pdfinfo)"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
    counted = int(found[1]) if found else None
    return whole and info.returncode == 0 and counted == pages, f"pdfinfo: {counted} pages"


def fault_b(app: App, media_root: Path) -> tuple[dict, list]:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from reporting.models import SealedReport

    record = sign_off_open_assessment()
    t_signed = time.monotonic()

    def task():
        connection.close()  # a fresh snapshot each time
        for candidate in DBTaskResult.objects.filter(task_path="reporting.tasks.seal_report"):
            if candidate.args_kwargs["args"][:1] == [record.pk]:
                return candidate
        return None

    deadline = time.monotonic() + 60
    while (queued := task()) is None or queued.status != "RUNNING":
        if time.monotonic() > deadline:
            return {}, [("B: the worker claimed the sealing", False)]
        time.sleep(0.05)
    t_claimed = time.monotonic()
    first_worker = queued.worker_ids[-1]
    time.sleep(KILL_AFTER)
    victim = app.workers[-1]
    os.kill(victim.pid, signal.SIGKILL)
    t_kill = time.monotonic()
    victim.wait()
    # Killed in the middle if, now that it is dead, the task is still its and nothing is sealed.
    after_kill = task()
    mid_render = (
        after_kill.status == "RUNNING"
        and after_kill.worker_ids[-1] == first_worker
        and not SealedReport.objects.filter(sign_off=record).exists()
    )
    left_by_kill = stray_files(media_root)
    app.start_worker()

    t_requeued = t_reclaimed = t_done = None
    deadline = t_kill + PDF_TIMEOUT
    while time.monotonic() < deadline:
        now, current = time.monotonic(), task()
        if current.status == "READY" and t_requeued is None:
            t_requeued = now
        if current.status == "RUNNING" and current.worker_ids[-1] != first_worker and t_reclaimed is None:
            t_reclaimed = now
            t_requeued = t_requeued or now
        if current.status in ("SUCCESSFUL", "FAILED"):
            t_done = now
            break
        time.sleep(0.2)

    sealed = list(SealedReport.objects.filter(sign_off=record))
    whole, opens, detail = False, False, ""
    if len(sealed) == 1:
        path = Path(sealed[0].pdf.path)
        content = path.read_bytes() if path.is_file() else b""
        whole = hashlib.sha256(content).hexdigest() == sealed[0].pdf_sha256 and len(content) == sealed[0].size
        opens, detail = pdf_opens(path, sealed[0].pages) if content else (False, "no file")
    strays = stray_files(media_root)
    requeue_logged = "task_requeued" in app.worker_log()

    def since(t):
        return None if t is None else t - t_kill

    figures = {
        "claimed_after": t_claimed - t_signed,
        "killed_after": t_kill - t_claimed,
        "requeued": since(t_requeued),
        "reclaimed": since(t_reclaimed),
        "done": since(t_done),
        "render": (current.finished_at - current.started_at).total_seconds() if t_done else None,
        "status": current.status,
        "claims": len(current.worker_ids),
        "sealed": len(sealed),
        "pages": sealed[0].pages if len(sealed) == 1 else None,
        "bytes": sealed[0].size if len(sealed) == 1 else None,
        "pdf_detail": detail,
        "left_by_kill": left_by_kill,
        "strays": strays,
    }
    checks = [
        ("B: the worker was killed in the middle of the render (RUNNING, nothing sealed)", mid_render),
        ("B: the task was put back and logged (ics.tasks task_requeued)", t_requeued is not None and requeue_logged),
        ("B: the sealing completed on the new worker", current.status == "SUCCESSFUL" and len(current.worker_ids) == 2),
        ("B: exactly one sealed report for the sign-off", len(sealed) == 1),
        ("B: its file is whole (sha256 and size as recorded)", whole),
        ("B: its file opens as a PDF with the recorded pages", opens),
        ("B: no stray or partial file in MEDIA_ROOT", not strays and not left_by_kill),
    ]
    return figures, checks


def seconds(value) -> str:
    return "never" if value is None else f"{value:.1f} s"


def kinds(counter: Counter) -> str:
    return ", ".join(f"{kind} × {n}" for kind, n in counter.most_common()) or "none"


def report(cluster: Cluster, a: dict, b: dict, checks: list) -> None:
    today = datetime.date.today().isoformat()
    print(f"\n{platform.platform()}, {os.cpu_count()} cores, {cluster.version()}, {today}")
    workers, threads = load.ENV.get("WEB_CONCURRENCY", "2"), load.ENV.get("GUNICORN_THREADS", "4")
    print(f"gunicorn {workers} workers × {threads} threads and one run_worker, against a throwaway cluster")
    if a:
        before, during, after = a["requests"]
        print(f"\nFault A: PostgreSQL stopped (pg_ctl stop -m fast) for {a['down_seconds']:.1f} s under 50 autosaving")
        print("| Figure | Value |")
        print("|---|---|")
        rows = [
            ("Autosave requests before / during / after the outage", f"{before} / {during} / {after}"),
            ("Errors before the outage (5xx, connection errors)", str(a["errors_before"])),
            ("Errors during the outage", f"{sum(a['errors_during'].values())} ({kinds(a['errors_during'])})"),
            ("pg_ctl stop / start took", f"{seconds(a['stop_seconds'])} / {seconds(a['start_seconds'])}"),
            ("Database down (stop issued → start returned)", seconds(a["down_seconds"])),
            ("First successful save after the restart", seconds(a["recovery"])),
            ("Outage seen by the directors (first error → first success)", seconds(a["client_outage"])),
            ("Errors once saving again", kinds(a["errors_recovered"])),
            ("409 conflicts (the save before had been stored, though answered with an error)", str(a["conflicts"])),
            ("Saves acknowledged (200), directors", f"{a['acknowledged']}, {a['directors']}"),
            ("Acknowledged saves missing from the database", str(len(a["lost"]))),
            ("Saves stored although not acknowledged (none lost: a newer version)", str(a["unacknowledged"])),
            (
                "Worker: db_worker stopped by a database error (started again) / heartbeats failed",
                f"{a['worker_errors']} / {a['heartbeat_errors']}",
            ),
        ]
        for label, value in rows:
            print(f"| {label} | {value} |")
        for user, acknowledged, stored in a["lost"]:
            print(f"  lost: director {user} acknowledged (level, version) {acknowledged}, stored {stored}")
    if b:
        print("\nFault B: the worker killed (SIGKILL) in the middle of a sealed PDF's render")
        print("| Figure | Value |")
        print("|---|---|")
        rows = [
            ("Sign-off → the worker claimed the sealing", seconds(b["claimed_after"])),
            ("Claimed → killed", seconds(b["killed_after"])),
            ("Killed → put back in the queue", seconds(b["requeued"])),
            ("Killed → claimed by the new worker", seconds(b["reclaimed"])),
            ("Killed → sealed (task finished)", seconds(b["done"])),
            ("The new worker's run (started_at → finished_at)", seconds(b["render"])),
            ("Task status, workers that claimed it", f"{b['status']}, {b['claims']}"),
            ("Sealed reports for the sign-off", str(b["sealed"])),
            ("PDF", f"{b['pages']} pages, {b['bytes']} bytes ({b['pdf_detail']})"),
            ("Files left by the kill / stray at the end", f"{len(b['left_by_kill'])} / {len(b['strays'])}"),
        ]
        for label, value in rows:
            print(f"| {label} | {value} |")
        for name in sorted(set(b["left_by_kill"]) | set(b["strays"])):
            print(f"  stray: {name}")
    print("\nChecks")
    for label, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}")


def main() -> int:
    if not (PG_BIN / "initdb").exists():
        sys.exit(f"No PostgreSQL server binaries in {PG_BIN}: set PG_BIN.")
    for port in (PG_PORT, APP_PORT):
        probe = subprocess.run(["ss", "-ltn", f"sport = :{port}"], capture_output=True, text=True).stdout
        if f":{port}" in probe:
            sys.exit(f"Port {port} is in use: stop what listens there first.")
    # A TERM stops the run as Ctrl-C does: through the finally blocks below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="ics-faults-"))
    cluster = Cluster(folder / "pg")
    media_root = folder / "media"
    a, b, checks = {}, {}, []
    # Undone in reverse order, each even if another fails: the app's processes, the
    # cluster, the folder.
    with contextlib.ExitStack() as undo:
        undo.callback(shutil.rmtree, folder, ignore_errors=True)
        cluster.init()
        undo.callback(cluster.stop_if_running)
        cluster.start()
        cluster.create_database(DB)
        load.ENV.update(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{PG_PORT}/{DB}",
            PORT=str(APP_PORT),
            SITE_URL=f"http://127.0.0.1:{APP_PORT}",
            MEDIA_ROOT=str(media_root),
        )
        app = App(load.ENV, folder)
        app.collect_static()
        print(f"Building the data on the throwaway cluster (port {PG_PORT}) …", flush=True)
        data = load.build()
        undo.callback(app.stop)
        app.start_web()
        app.start_worker()
        if not healthy(120):
            checks.append(("the app became healthy", False))
        else:
            print(f"Fault A: {WARM_SECONDS:.0f} s of autosave, then PostgreSQL stopped …", flush=True)
            a, checks_a = fault_a(cluster, app, data)
            checks += checks_a
            print("Fault B: signing off, then killing the worker in the middle of the render …", flush=True)
            b, checks_b = fault_b(app, media_root)
            checks += checks_b
    report(cluster, a, b, checks)
    return 0 if checks and all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted: the app's processes and the throwaway cluster are stopped, its folder removed.")
