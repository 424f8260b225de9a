"""Rebuild the ICS comparison's summary rows from every signed-off assessment.

    manage.py rebuild_comparison

Sign-off writes an assessment's rows and reopening removes them; this rebuilds them all
(after a failure, or a change to how figures roll up). Idempotent. A signed-off
assessment keeps the peer spread it was signed off with, where its rows recorded one.
"""

import time

from django.core.management.base import BaseCommand

from assessments.models import Assessment
from reporting.figures import write_figures
from reporting.models import LineFigure, SectionFigure


class Command(BaseCommand):
    help = "Rebuild the ICS comparison's summary rows from every signed-off assessment."

    def handle(self, *args, **options) -> None:
        start = time.perf_counter()
        signed_off = Assessment.objects.filter(status=Assessment.Status.SIGNED_OFF).select_related(
            "organisation", "ics", "previous"
        )
        stale = SectionFigure.objects.exclude(assessment__in=signed_off.values("pk"))
        removed = stale.count()
        stale.delete()
        LineFigure.objects.exclude(assessment__in=signed_off.values("pk")).delete()
        rows = assessments = 0
        for assessment in signed_off.iterator():
            rows += write_figures(assessment)
            assessments += 1
        elapsed = time.perf_counter() - start
        self.stdout.write(
            f"Rebuilt the comparison from {assessments} signed-off assessments: {rows} section rows "
            f"({removed} stale removed) in {elapsed:.1f} s."
        )
