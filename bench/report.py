"""Benchmark: the maturity report's web page, its PDF, and a sealed PDF's download.

    make bench                            # SQLite, a throwaway database file
    DATABASE_URL=postgres://… make bench  # PostgreSQL, a throwaway test database

Builds a realistic signed-off assessment: both current frameworks (~78 lines for an
acute trust), 15 directors who all submitted, 20 actions, evidence, last year's
signed-off assessment, and 6 other signed-off trusts of the same ICS as peers. Prints:
the report page's median and 95th-percentile server time and queries; the PDF's render
time (our whole path: figures, template, WeasyPrint) beside WeasyPrint's own time for
the same final HTML, with pages, bytes and the process's peak memory; and the median
time to serve the sealed PDF again. Targets (2-core machine): report page ≤ 15 queries
and ≤ 150 ms; PDF within 1.2× of WeasyPrint's own time and ≤ 2 s for ~16 pages; a
sealed PDF served in ≤ 30 ms.
"""

import logging
import os
import random
import resource
import statistics
import sys
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import measure as _measure  # noqa: E402
from bench.common import setup_django  # noqa: E402

setup_django(own_media=True)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import get_runner  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "50"))
PDF_RUNS = int(os.environ.get("BENCH_PDF_RUNS", "3"))
DIRECTORS = 15
PEERS = 6
ACTIONS = 20


def signed_off(trust, year: int, frameworks, *, directors: int, previous=None, seed: int = 1):
    """An assessment scored by `directors` directors, moderated and signed off, through
    the services (answers and agreed scores in bulk)."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from assessments import services
    from assessments.models import AgreedScore, Answer, Evidence
    from organisations.models import Membership

    rng = random.Random(seed)
    code = trust.ods_code
    secretary, _ = User.objects.get_or_create(username=f"{code}-secretary")
    chair, _ = User.objects.get_or_create(
        username=f"{code}-chair", defaults={"first_name": "Pat", "last_name": "Chair"}
    )
    Membership.objects.get_or_create(user=secretary, organisation=trust, defaults={"role": "secretary"})
    Membership.objects.get_or_create(user=chair, organisation=trust, defaults={"role": "chair"})
    members = []
    for n in range(directors):
        user, _ = User.objects.get_or_create(username=f"{code}-director-{n}")
        kind = "executive" if n % 2 else "non-executive"
        member, _ = Membership.objects.get_or_create(
            user=user, organisation=trust, defaults={"role": "director", "director_kind": kind}
        )
        members.append(member)
    details = services.AssessmentDetails(
        title="Bench", period_start_year=year, deadline=timezone.localdate(), anonymous=True, frameworks=frameworks
    )
    assessment = services.create_assessment(trust, details, by=secretary, previous=previous)
    services.invite_respondents(assessment, members, by=secretary)
    services.open_assessment(assessment, by=secretary, notify=False)
    answers = list(Answer.objects.filter(respondent__assessment=assessment))
    for answer in answers:
        answer.level = rng.randint(2, 4)
    Answer.objects.bulk_update(answers, ["level"])
    assessment.respondents.update(submitted_at=timezone.now())
    services.start_moderation(assessment, by=secretary)
    lines = assessment.included_lines()
    AgreedScore.objects.bulk_create(
        AgreedScore(
            assessment=assessment,
            line=line,
            level=rng.randint(2, 4),
            target_level=4,
            updated_by=chair,
            rationale="Agreed at the board development session after discussion of the evidence.",
        )
        for line in lines
    )
    Evidence.objects.bulk_create(
        Evidence(
            assessment=assessment,
            line=line,
            title=f"Board paper for {line.code}",
            kind="board-paper",
            as_at=timezone.localdate(),
            url="https://intranet.example.nhs.uk/paper",
            added_by=secretary,
        )
        for line in lines[::2]
    )
    return assessment, secretary, chair, lines


def build():
    from assessments import services
    from frameworks.models import Framework
    from organisations.models import Organisation

    call_command("load_frameworks", stdout=StringIO())
    call_command("load_organisations", stdout=StringIO())
    frameworks = list(Framework.objects.filter(status="current"))
    trust = Organisation.objects.get(ods_code="RR8")
    last, _, chair, _ = signed_off(trust, 2024, frameworks, directors=DIRECTORS, seed=2)
    services.sign_off(last, by=chair)
    last.refresh_from_db()
    assessment, secretary, chair, lines = signed_off(trust, 2025, frameworks, directors=DIRECTORS, previous=last)
    for n in range(ACTIONS):
        services.save_action(
            assessment,
            services.ActionInput(
                lines[n * 3],
                None,
                f"Action {n}: report to the board quarterly.",
                "Director of Corporate Affairs",
                None,
                "open",
            ),
            by=secretary,
        )
    assessment = services.sign_off(assessment, by=chair)
    peers = Organisation.objects.filter(ics_memberships__ics=assessment.ics, type="acute").exclude(pk=trust.pk)
    for n, peer in enumerate(peers.distinct()[:PEERS]):
        other, _, other_chair, _ = signed_off(peer, 2025, frameworks, directors=3, seed=10 + n)
        services.sign_off(other, by=other_chair)
    return assessment, chair


def measure(label: str, request, runs: int = RUNS) -> None:
    _measure(label, request, runs=runs, width=52)


def pdf_figures(assessment) -> None:
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from reporting.pdf import BASE_URL, StaticFilesOnly
    from reporting.selectors import build_report
    from reporting.services import render_report_pdf, report_context

    ours, theirs = [], []
    for _ in range(PDF_RUNS):
        start = time.perf_counter()
        pdf = render_report_pdf(build_report(assessment))
        ours.append(time.perf_counter() - start)
        html = render_to_string("reporting/report_print.html", report_context(build_report(assessment)))
        start = time.perf_counter()
        HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnly()).write_pdf(pdf_variant="pdf/ua-1")
        theirs.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    our, their = statistics.median(ours), statistics.median(theirs)
    print(
        f"PDF, our whole path: {our:.2f} s median of {PDF_RUNS}; WeasyPrint alone on the same HTML: {their:.2f} s "
        f"(ratio {our / their:.2f}); {pdf.pages} pages, {len(pdf.content) / 1024:.0f} KB; "
        f"process peak memory {peak:.0f} MB"
    )


def main() -> None:
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    # Sealing is measured on its own below, not inside every sign-off of the set-up.
    from assessments.signals import assessment_signed_off

    assessment_signed_off.disconnect(dispatch_uid="reporting.seal_on_sign_off")
    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        assessment, chair = build()
        lines = len(assessment.included_lines())
        print(
            f"database: {connection.vendor}; {lines} lines, {DIRECTORS} directors, {ACTIONS} actions, "
            f"last year, {PEERS} ICS peers; {RUNS} requests each after 3 warm-up requests"
        )
        print(f"{'request':52} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        client = Client()
        client.force_login(chair)
        base = f"/organisations/RR8/assessments/{assessment.period_start_year}/report/"
        measure("report page (HTML)", lambda: client.get(base))
        from reporting.services import seal

        start = time.perf_counter()
        sealed = seal(assessment.latest_sign_off())
        print(f"{'sealing at sign-off (render and store, once)':52} {(time.perf_counter() - start) * 1000:10.0f}")
        measure("sealed PDF, a second download", lambda: client.get(base + "pdf/"))
        measure("exports: Excel workbook", lambda: client.get(base + "export/report.xlsx"), runs=10)
        print(f"sealed PDF: {sealed.pages} pages, {sealed.size / 1024:.0f} KB")
        pdf_figures(assessment)
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
