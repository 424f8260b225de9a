"""Personas for access tests, built once per test class (setUpTestData).

Two ICSs: "North" (ICS A) with trusts A1 (where the board lives) and A2, and "South"
(ICS B) with trust B1. The personas read like sentences in tests:
self.secretary, self.chair, self.executive, self.non_executive, self.observer (all of
A1), self.consultant (ICS A), self.consultant_elsewhere (ICS B), self.outsider (a
director of B1) and self.staff (an administrator with no membership).
"""

import datetime

from django.contrib.auth.models import User
from django.test import TestCase

from ics_governance.lib.nhs import OrganisationType
from organisations.models import ConsultantAssignment, IcsMembership, IntegratedCareSystem, Membership, Organisation

PASSWORD = "correct-horse-battery-staple"


def make_ics(ods_code: str, name: str, *, valid_from=datetime.date(2022, 7, 1), valid_to=None) -> IntegratedCareSystem:
    return IntegratedCareSystem.objects.create(
        ods_code=ods_code,
        name=f"NHS {name} Integrated Care Board",
        region="North East and Yorkshire",
        valid_from=valid_from,
        valid_to=valid_to,
    )


def make_org(ods_code: str, name: str, ics: IntegratedCareSystem, *, type=OrganisationType.ACUTE) -> Organisation:
    organisation = Organisation.objects.create(ods_code=ods_code, name=name, type=type)
    IcsMembership.objects.create(organisation=organisation, ics=ics, valid_from=ics.valid_from, valid_to=ics.valid_to)
    return organisation


def make_user(username: str, **extra) -> User:
    names = {"first_name": username.title(), "last_name": "Tester", **extra}
    return User.objects.create_user(username, f"{username}@example.org", PASSWORD, **names)


def add_member(user: User, organisation: Organisation, role: str, director_kind: str = "") -> Membership:
    return Membership.objects.create(user=user, organisation=organisation, role=role, director_kind=director_kind)


class PersonaTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        Role, Kind = Membership.Role, Membership.DirectorKind
        cls.ics = make_ics("QAA", "North")
        cls.other_ics = make_ics("QBB", "South")
        cls.trust = make_org("RA1", "North Hospitals NHS Trust", cls.ics)
        cls.sibling = make_org(
            "RA2", "North Mental Health NHS Foundation Trust", cls.ics, type=OrganisationType.MENTAL_HEALTH
        )
        cls.other_trust = make_org("RB1", "South Hospitals NHS Trust", cls.other_ics)

        cls.secretary = make_user("secretary")
        cls.chair = make_user("chair")
        cls.executive = make_user("executive")
        cls.non_executive = make_user("nonexecutive")
        cls.observer = make_user("observer")
        add_member(cls.secretary, cls.trust, Role.SECRETARY)
        add_member(cls.chair, cls.trust, Role.CHAIR)
        add_member(cls.executive, cls.trust, Role.DIRECTOR, Kind.EXECUTIVE)
        add_member(cls.non_executive, cls.trust, Role.DIRECTOR, Kind.NON_EXECUTIVE)
        add_member(cls.observer, cls.trust, Role.OBSERVER)

        cls.consultant = make_user("consultant")
        ConsultantAssignment.objects.create(user=cls.consultant, ics=cls.ics)
        cls.consultant_elsewhere = make_user("elsewhere")
        ConsultantAssignment.objects.create(user=cls.consultant_elsewhere, ics=cls.other_ics)
        cls.outsider = make_user("outsider")
        add_member(cls.outsider, cls.other_trust, Role.DIRECTOR, Kind.NON_EXECUTIVE)
        cls.staff = make_user("staff", is_staff=True, is_superuser=True)

    @classmethod
    def personas(cls) -> dict[str, User | None]:
        return {
            "anonymous": None,
            "secretary": cls.secretary,
            "chair": cls.chair,
            "executive": cls.executive,
            "non_executive": cls.non_executive,
            "observer": cls.observer,
            "consultant": cls.consultant,
            "consultant_elsewhere": cls.consultant_elsewhere,
            "outsider": cls.outsider,
            "staff": cls.staff,
        }
