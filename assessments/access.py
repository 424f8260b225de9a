"""Who may see or do what with assessments (the assessments' part of organisations/access.py).

- Who sees an assessment at all is `Assessment.objects.visible_to(user)`: members see
  their organisation's assessments, observers only signed-off ones, and a consultant
  only signed-off ones of an ICS they are assigned to. Everyone else gets 404, as if it
  did not exist.
- A member whose role does not allow an action gets 403.
- A director's own answers are reached only through their own respondent record, so
  nobody can open another director's scores by changing a URL.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from assessments.models import Assessment, Respondent
from organisations.models import Membership

Role = Membership.Role
MANAGERS = frozenset({Role.SECRETARY, Role.CHAIR})
# Who may score: directors and the chair (as invited).
SCORERS = frozenset({Role.DIRECTOR, Role.CHAIR})


@dataclass(frozen=True)
class AssessmentAccess:
    assessment: Assessment
    membership: Membership | None  # None for a consultant

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS

    @property
    def is_secretary(self) -> bool:
        return self.role == Role.SECRETARY

    @property
    def is_chair(self) -> bool:
        return self.role == Role.CHAIR


def get_assessment_for_user(
    user, ods_code: str, year: int, *, roles: Collection[str] | None = None
) -> AssessmentAccess:
    """Two queries: the assessment (if `Assessment.objects.visible_to` lets the person see
    it) with its organisation, and their membership."""
    if not user.is_authenticated:
        raise Http404
    assessment = (
        Assessment.objects.visible_to(user)
        .select_related("organisation", "ics", "previous")
        .filter(organisation__ods_code=ods_code, period_start_year=year)
        .first()
    )
    if assessment is None:
        raise Http404("No such assessment.")
    membership = Membership.objects.filter(user=user, organisation_id=assessment.organisation_id).first()
    access = AssessmentAccess(assessment, membership)
    if roles is not None and access.role not in roles:
        raise PermissionDenied("Your role in this organisation does not allow this.")
    return access


def get_respondent_for_user(user, ods_code: str, year: int) -> Respondent:
    """The person's own respondent record, with its assessment and organisation: one query.

    404 for non-members; 403 for a member who is not (or no longer) a respondent."""
    if not user.is_authenticated:
        raise Http404
    respondent = (
        Respondent.objects.select_related("assessment__organisation", "assessment__previous")
        .filter(
            user=user,
            removed_at__isnull=True,
            assessment__organisation__ods_code=ods_code,
            assessment__period_start_year=year,
            # Still a director or the chair: a member moved to another role scores no more.
            assessment__organisation__memberships__user=user,
            assessment__organisation__memberships__role__in=SCORERS,
        )
        .first()
    )
    if respondent is None:
        get_assessment_for_user(user, ods_code, year)  # 404 if they may not see it at all
        raise PermissionDenied("You are not invited to score this assessment.")
    return respondent
