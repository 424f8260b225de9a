"""Who may see or do what: every such question is answered here.

Views resolve objects only through these helpers (or through a queryset's
`.visible_to(user)`), never with an unscoped lookup. The rules:

- Someone with no business with an object gets **404**, exactly as if it did not
  exist, so nothing leaks (not even that an ODS code is in use here).
- Someone who may see an object but whose role is too low for the action gets **403**.
- Staff status gives the Django admin, nothing more: in the application a staff
  member sees what their own memberships and assignments allow.
- A consultant sees every organisation that belongs, or belonged, to an ICS they are
  assigned to, and never an individual director's scores.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from organisations.models import ConsultantAssignment, IntegratedCareSystem, Membership, Organisation

Role = Membership.Role

# Roles that manage the organisation's board and its assessments.
BOARD_MANAGERS = frozenset({Role.SECRETARY, Role.CHAIR})


@dataclass(frozen=True)
class OrganisationAccess:
    """What one person is to one organisation."""

    organisation: Organisation
    membership: Membership | None  # None for a consultant who is not a member

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_consultant(self) -> bool:
        return self.membership is None

    def has_role(self, roles: Collection[str]) -> bool:
        return self.membership is not None and self.membership.role in roles


def get_organisation_for_user(user, ods_code: str, *, roles: Collection[str] | None = None) -> OrganisationAccess:
    """The organisation with this ODS code, as this person may see it.

    404 unless the person is a member or a consultant for one of its ICSs. With
    `roles`, 403 unless the person is a member holding one of them.
    """
    if not user.is_authenticated:
        raise Http404
    organisation = Organisation.objects.filter(ods_code=ods_code).visible_to(user).first()
    if organisation is None:
        raise Http404("No such organisation.")
    membership = Membership.objects.filter(user=user, organisation=organisation).first()
    access = OrganisationAccess(organisation, membership)
    if roles is not None and not access.has_role(roles):
        raise PermissionDenied("Your role in this organisation does not allow this.")
    return access


def get_ics_for_user(user, ods_code: str) -> IntegratedCareSystem:
    """An ICS a consultant is assigned to; 404 for anyone else."""
    ics = IntegratedCareSystem.objects.filter(ods_code=ods_code).visible_to(user).first()
    if ics is None:
        raise Http404("No such integrated care system.")
    return ics


def memberships_of(user) -> list[Membership]:
    """A person's memberships with their organisations, for menus and the home page."""
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name"))


def assignments_of(user) -> list[ConsultantAssignment]:
    if not user.is_authenticated:
        return []
    return list(ConsultantAssignment.objects.filter(user=user).select_related("ics").order_by("ics__name"))
