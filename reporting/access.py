"""Who may open a maturity report.

- Secretary and chair: always (a draft before sign-off).
- Directors and observers of the organisation: once it is signed off.
- Consultants assigned to the assessment's ICS: signed-off reports only (they see only
  signed-off assessments at all: `Assessment.objects.visible_to`).
- Everyone else: 404, as if it did not exist.
- A director's own page: that director only, once signed off.
- Asking for a failed sealing of the signed-off PDF to be tried again: the secretary
  and chair (they run the assessment; the chair signed it off). Everyone who opens the
  report sees that it failed.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from assessments.access import MANAGERS, AssessmentAccess, get_assessment_for_user
from assessments.models import Assessment, Respondent
from organisations.models import Membership


def can_open_report(access: AssessmentAccess) -> bool:
    return access.is_manager or access.assessment.status == Assessment.Status.SIGNED_OFF


def get_report_access(user, ods_code: str, year: int) -> AssessmentAccess:
    access = get_assessment_for_user(user, ods_code, year)
    if not can_open_report(access):
        raise Http404("The report opens once the assessment is signed off.")
    return access


def reports_visible_to(user):
    """Assessments whose report the person may open, as a query (the same rule)."""
    if not user.is_authenticated:
        return Assessment.objects.none()
    managed = Membership.objects.filter(user=user, role__in=MANAGERS).values("organisation")
    return Assessment.objects.visible_to(user).filter(
        Q(status=Assessment.Status.SIGNED_OFF) | Q(organisation__in=managed)
    )


def get_own_respondent(user, ods_code: str, year: int) -> Respondent:
    """The director's own respondent record on a signed-off assessment: one query.
    Anyone else (including the secretary and chair) gets 404."""
    if not user.is_authenticated:
        raise Http404
    respondent = (
        Respondent.objects.select_related("assessment__organisation", "assessment__ics", "assessment__previous", "user")
        .filter(
            user=user,
            removed_at__isnull=True,
            submitted_at__isnull=False,
            assessment__organisation__ods_code=ods_code,
            assessment__period_start_year=year,
            assessment__status=Assessment.Status.SIGNED_OFF,
            assessment__organisation__memberships__user=user,
        )
        .first()
    )
    if respondent is None:
        raise Http404("No scores of yours in a signed-off assessment here.")
    return respondent


def may_retry_sealing(user, organisation_id: int) -> bool:
    """Whether the person may ask for a failed sealing to be tried again: one query."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(user=user, organisation_id=organisation_id, role__in=MANAGERS).exists()
