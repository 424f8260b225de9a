"""The comparison's summary rows: written from the report's figures when an assessment
is signed off, removed when it is reopened, rebuilt by `manage.py rebuild_comparison`.

They hold what the signed-off report prints (section maturity, each line's agreed level
and the spread of submitted scores where shown) and the ICS peers' spread as it stood
at sign-off, so that comparisons read thousands of rows rather than every score.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.db import transaction

from assessments.models import Assessment
from reporting.models import LineFigure, SectionFigure
from reporting.selectors import build_report, canonical_json


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def write_figures(assessment: Assessment) -> int:
    """Replace the assessment's summary rows with its report's figures; returns the number
    of section rows. Nothing is written for an assessment that is not signed off or has
    no ICS."""
    if assessment.status != Assessment.Status.SIGNED_OFF or assessment.ics_id is None:
        remove_figures(assessment)
        return 0
    # Built before the old rows go: a signed-off report keeps the peer spread they hold.
    report = build_report(assessment, charts=False)
    remove_figures(assessment)
    data = json.loads(canonical_json(report.data()))
    frameworks = {(fw.framework.slug, fw.framework.version): fw.framework for fw in report.frameworks}
    common = {
        "assessment": assessment,
        "ics_id": assessment.ics_id,
        "period_start_year": assessment.period_start_year,
        "organisation_type": assessment.organisation_type,
    }
    sections, lines = [], []
    for fw in data["frameworks"]:
        framework = frameworks[(fw["slug"], fw["version"])]
        for section in fw["sections"]:
            peers = section["peers"] or [None, None, None, None]
            sections.append(
                SectionFigure(
                    **common,
                    organisation_id=assessment.organisation_id,
                    framework=framework,
                    section_code=section["code"],
                    maturity=_decimal(section["maturity"]),
                    assessed=section["assessed"],
                    lines=section["lines"],
                    peers=peers[0],
                    peer_lower_quartile=_decimal(peers[1]),
                    peer_median=_decimal(peers[2]),
                    peer_upper_quartile=_decimal(peers[3]),
                )
            )
            for line in section["line_results"]:
                agreed = line["agreed"] or {}
                lines.append(
                    LineFigure(
                        **common,
                        framework=framework,
                        line_code=line["code"],
                        level=agreed.get("level"),
                        spread=None if line["withheld"] else line["spread"],
                    )
                )
    SectionFigure.objects.bulk_create(sections)
    LineFigure.objects.bulk_create(lines)
    return len(sections)


def remove_figures(assessment: Assessment) -> None:
    SectionFigure.objects.filter(assessment=assessment).delete()
    LineFigure.objects.filter(assessment=assessment).delete()
