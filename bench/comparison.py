"""Benchmark: the ICS comparison at national scale.

    DATABASE_URL=postgres://… .venv/bin/python bench/comparison.py   # the target database
    .venv/bin/python bench/comparison.py                              # SQLite, for a look

Builds, in a throwaway test database, every trust of the reference data for three
periods on both current frameworks, each assessment scored by 12 directors, moderated
and signed off (bulk inserts, not the services: this measures reading, not writing).
Then times the summary rebuild (`manage.py rebuild_comparison`) and, through Django's
test client, one ICS comparison page, the national view, the trend view and the CSV
export, printing median and 95th-percentile server time and queries. Targets
(PostgreSQL, 2-core machine): comparison ≤ 8 queries, constant in the organisations,
≤ 60 ms; national view ≤ 300 ms; summary rebuild ≤ 60 s.
"""

import datetime
import logging
import os
import random
import sys
import time
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

PERIODS = [2023, 2024, 2025]
DIRECTORS = 12
RUNS = int(os.environ.get("BENCH_RUNS", "30"))


def build() -> int:
    from django.contrib.auth.models import User
    from django.utils import timezone

    from assessments.models import AgreedScore, Answer, Assessment, Respondent, SignOffRecord
    from frameworks.models import Framework, Line
    from ics_governance.lib.nhs import OrganisationType
    from organisations.models import Organisation

    call_command("load_frameworks", stdout=StringIO())
    call_command("load_organisations", stdout=StringIO())
    frameworks = list(Framework.objects.filter(status="current"))
    lines = list(Line.objects.filter(framework__in=frameworks))
    rng = random.Random(3)
    admin = User.objects.create_user("bench-admin", is_staff=True)
    trusts = list(Organisation.objects.exclude(type__in=[OrganisationType.ICB, ""]))
    people = User.objects.bulk_create(
        [User(username=f"bench-{t.ods_code}-{n}") for t in trusts for n in range(DIRECTORS)], batch_size=2000
    )
    directors = {t.pk: people[i * DIRECTORS : (i + 1) * DIRECTORS] for i, t in enumerate(trusts)}
    now = timezone.now()
    answers = 0
    for year in PERIODS:
        start = datetime.date(year, 4, 1)
        batch = []
        for trust in trusts:
            ics = trust.ics_on(start)
            if ics is None or not trust.exists_on(start):
                continue
            batch.append(
                Assessment(
                    organisation=trust,
                    ics=ics,
                    period_start_year=year,
                    organisation_type=trust.type,
                    title="Bench",
                    deadline=start,
                    status=Assessment.Status.MODERATION,
                    created_by=admin,
                )
            )
        assessments = Assessment.objects.bulk_create(batch)
        through = Assessment.frameworks.through
        through.objects.bulk_create(
            [through(assessment=a, framework=f) for a in assessments for f in frameworks], batch_size=5000
        )
        respondents = Respondent.objects.bulk_create(
            [
                Respondent(assessment=a, user=u, is_executive=n % 2 == 0, invited_by=admin, submitted_at=now)
                for a in assessments
                for n, u in enumerate(directors[a.organisation_id])
            ],
            batch_size=5000,
        )
        applicable = {a.pk: [ln for ln in lines if ln.applies_to(a.organisation_type)] for a in assessments}
        rows = [
            Answer(respondent=r, line=ln, level=rng.randint(1, 5))
            for r in respondents
            for ln in applicable[r.assessment_id]
        ]
        Answer.objects.bulk_create(rows, batch_size=10000)
        answers += len(rows)
        AgreedScore.objects.bulk_create(
            [
                AgreedScore(assessment=a, line=ln, level=rng.randint(1, 5), target_level=None, updated_by=admin)
                for a in assessments
                for ln in applicable[a.pk]
            ],
            batch_size=10000,
        )
        SignOffRecord.objects.bulk_create(
            [SignOffRecord(assessment=a, sequence=1, kind="signed_off", by=admin, at=now) for a in assessments]
        )
        Assessment.objects.filter(pk__in=[a.pk for a in assessments]).update(
            status=Assessment.Status.SIGNED_OFF, signed_off_by=admin, signed_off_at=now
        )
    return answers


def measure(label: str, request, runs: int = RUNS) -> None:
    _measure(label, request, runs=runs, width=46)


def main() -> None:
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        from django.contrib.auth.models import User

        from assessments.models import Assessment
        from organisations.models import ConsultantAssignment, IntegratedCareSystem
        from reporting.models import SectionFigure

        start = time.perf_counter()
        answers = build()
        signed_off = Assessment.objects.filter(status="signed_off").count()
        print(
            f"database: {connection.vendor}; {signed_off} signed-off assessments over {len(PERIODS)} periods, "
            f"{answers:,} individual scores; built in {time.perf_counter() - start:.0f} s"
        )
        start = time.perf_counter()
        call_command("rebuild_comparison", stdout=StringIO())
        print(
            f"summary rebuild (rebuild_comparison): {time.perf_counter() - start:.1f} s, "
            f"{SectionFigure.objects.count():,} section rows"
        )
        ics = IntegratedCareSystem.objects.get(ods_code="QWO")
        consultant = User.objects.create_user("bench-consultant")
        ConsultantAssignment.objects.create(user=consultant, ics=ics)
        client = Client()
        client.force_login(consultant)
        staff = Client()
        staff.force_login(User.objects.get(username="bench-admin"))
        print(f"{'request':46} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        measure("ICS comparison, West Yorkshire, 2025/26", lambda: client.get("/ics/QWO/comparison/"))
        big = max(
            IntegratedCareSystem.objects.filter(valid_to__isnull=False),
            key=lambda s: SectionFigure.objects.filter(ics=s, period_start_year=2025).count(),
        )
        ConsultantAssignment.objects.create(user=consultant, ics=big)
        measure(
            f"ICS comparison, {big.short_name} (the largest)", lambda: client.get(f"/ics/{big.ods_code}/comparison/")
        )
        measure("trend view, West Yorkshire", lambda: client.get("/ics/QWO/comparison/trend/"))
        measure("CSV export of the heatmap", lambda: client.get("/ics/QWO/comparison/export/heatmap.csv"))
        measure("national view (staff)", lambda: staff.get("/comparison/national/"), runs=10)
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
