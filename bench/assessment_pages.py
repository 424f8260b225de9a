"""Benchmark: the scoring page of one section, an autosave, and the moderation page.

    make bench                          # SQLite, a throwaway database file
    DATABASE_URL=postgres://… make bench  # PostgreSQL, a throwaway test database

Builds a realistic assessment - both seeded frameworks (~78 lines for an acute trust)
and 15 respondents who have all answered - then requests each page many times through
Django's test client and prints the median and 95th-percentile server time and the
number of queries. Targets (2-core machine): scoring page ≤ 8 queries and ≤ 20 ms
median; autosave ≤ 6 queries and ≤ 10 ms; moderation page ≤ 10 queries.
"""

import os
import random
import sys
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import measure as _measure  # noqa: E402
from bench.common import setup_django  # noqa: E402

setup_django(own_media=False)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import get_runner  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "200"))
RESPONDENTS = 15


def build():
    from django.contrib.auth.models import User
    from django.utils import timezone

    from assessments import services
    from assessments.models import Answer
    from frameworks.models import Framework
    from organisations.models import Membership, Organisation

    call_command("load_frameworks", stdout=StringIO())
    call_command("load_organisations", stdout=StringIO())
    trust = Organisation.objects.get(ods_code="RR8")
    secretary = User.objects.create_user("bench-secretary")
    Membership.objects.create(user=secretary, organisation=trust, role="secretary")
    directors = []
    for n in range(RESPONDENTS):
        user = User.objects.create_user(f"bench-director-{n}")
        kind = "executive" if n % 2 else "non-executive"
        directors.append(Membership.objects.create(user=user, organisation=trust, role="director", director_kind=kind))
    details = services.AssessmentDetails(
        title="Bench",
        period_start_year=2026,
        deadline=timezone.localdate(),
        anonymous=True,
        frameworks=list(Framework.objects.filter(status="current")),
    )
    assessment = services.create_assessment(trust, details, by=secretary)
    services.invite_respondents(assessment, directors, by=secretary)
    services.open_assessment(assessment, by=secretary, notify=False)
    rng = random.Random(7)
    answers = list(Answer.objects.filter(respondent__assessment=assessment))
    for answer in answers:
        answer.level = rng.randint(1, 5)
        answer.comment = "A comment." if rng.random() < 0.1 else ""
    Answer.objects.bulk_update(answers, ["level", "comment"])
    return assessment, secretary, directors[0].user


def measure(label: str, request, runs: int = RUNS) -> None:
    _measure(label, request, runs=runs, warm_up=10, width=44, decimals=2)


def main() -> None:
    # Never touch a real database: bench on a throwaway test database.
    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        assessment, secretary, director = build()
        lines = len(assessment.included_lines())
        print(
            f"database: {connection.vendor}; {lines} lines, {RESPONDENTS} respondents; "
            f"{RUNS} requests each after 10 warm-up requests"
        )
        print(f"{'request':44} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        base = f"/organisations/RR8/assessments/{assessment.period_start_year}/"

        scorer = Client()
        scorer.force_login(director)
        measure("scoring page, section W3 (10 lines)", lambda: scorer.get(base + "score/W3/"))

        from assessments.models import Answer

        answer = Answer.objects.get(respondent__user=director, line__code="W3.1")
        state = {"version": answer.version, "level": 1}

        def autosave():
            state["level"] = state["level"] % 5 + 1
            response = scorer.post(
                base + "score/line/W3.1/",
                {
                    "W3.1-level": str(state["level"]),
                    "W3.1-target_level": "",
                    "W3.1-comment": "",
                    "W3.1-version": str(state["version"]),
                },
                HTTP_HX_REQUEST="true",
            )
            state["version"] += 1
            return response

        measure("autosave of one answer", autosave)

        _submit_all_and_moderate(assessment, secretary)
        moderator = Client()
        moderator.force_login(secretary)
        measure("moderation page, section W3 (10 lines)", lambda: moderator.get(base + "moderate/W3/"))
    finally:
        runner.teardown_databases(old)


def _submit_all_and_moderate(assessment, secretary):
    from django.utils import timezone

    from assessments import services

    assessment.respondents.update(submitted_at=timezone.now())
    services.start_moderation(assessment, by=secretary)


if __name__ == "__main__":
    main()
