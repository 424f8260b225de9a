"""organisations/access.py and the querysets behind it."""

import datetime

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from organisations.access import BOARD_MANAGERS, get_ics_for_user, get_organisation_for_user
from organisations.models import ConsultantAssignment, IcsMembership, IntegratedCareSystem, Organisation
from tests.base import PersonaTestCase, make_ics, make_org


class VisibleToTests(PersonaTestCase):
    def codes(self, user) -> list[str]:
        return sorted(Organisation.objects.visible_to(user).values_list("ods_code", flat=True))

    def test_members_see_their_organisations_only(self):
        self.assertEqual(self.codes(self.secretary), ["RA1"])
        self.assertEqual(self.codes(self.observer), ["RA1"])
        self.assertEqual(self.codes(self.outsider), ["RB1"])

    def test_consultants_see_every_organisation_of_their_icss(self):
        self.assertEqual(self.codes(self.consultant), ["RA1", "RA2"])
        self.assertEqual(self.codes(self.consultant_elsewhere), ["RB1"])

    def test_staff_and_strangers_see_nothing(self):
        self.assertEqual(self.codes(self.staff), [])
        self.assertEqual(self.codes(AnonymousUser()), [])

    def test_a_consultant_keeps_seeing_a_trust_that_moved_to_another_ics(self):
        # The trust moves from North to a new ICS on 1 April 2026; the North consultant
        # still sees it (its past results belong to North's history).
        new = make_ics("QCC", "New", valid_from=datetime.date(2026, 4, 1))
        membership = self.sibling.ics_memberships.get()
        membership.valid_to = datetime.date(2026, 3, 31)
        membership.save()
        IcsMembership.objects.create(organisation=self.sibling, ics=new, valid_from=datetime.date(2026, 4, 1))
        self.assertIn("RA2", self.codes(self.consultant))
        self.assertEqual(self.sibling.ics_on(datetime.date(2026, 3, 31)), self.ics)
        self.assertEqual(self.sibling.ics_on(datetime.date(2026, 4, 1)), new)
        on = datetime.date(2026, 5, 1)
        self.assertEqual(list(Organisation.objects.in_ics_on(self.ics, on)), [self.trust])

    def test_icss_are_visible_to_their_consultants_only(self):
        self.assertEqual(list(IntegratedCareSystem.objects.visible_to(self.consultant)), [self.ics])
        self.assertEqual(list(IntegratedCareSystem.objects.visible_to(self.secretary)), [])
        self.assertEqual(list(IntegratedCareSystem.objects.visible_to(self.staff)), [])

    def test_querysets_are_distinct_with_several_assignments(self):
        ConsultantAssignment.objects.create(user=self.consultant, ics=self.other_ics)
        make_org("RB2", "South Two", self.other_ics)
        self.assertEqual(self.codes(self.consultant), ["RA1", "RA2", "RB1", "RB2"])


class HelperTests(PersonaTestCase):
    def test_a_member_gets_the_organisation_and_their_membership(self):
        access = get_organisation_for_user(self.chair, "RA1")
        self.assertEqual(access.organisation, self.trust)
        self.assertEqual(access.role, "chair")
        self.assertTrue(access.is_member)

    def test_a_consultant_gets_the_organisation_without_a_membership(self):
        access = get_organisation_for_user(self.consultant, "RA1")
        self.assertIsNone(access.membership)
        self.assertTrue(access.is_consultant)

    def test_others_get_404_as_if_it_did_not_exist(self):
        for user in (self.outsider, self.consultant_elsewhere, self.staff, AnonymousUser()):
            with self.subTest(user=str(user)), self.assertRaises(Http404):
                get_organisation_for_user(user, "RA1")
        with self.assertRaises(Http404):
            get_organisation_for_user(self.secretary, "NOPE")

    def test_a_role_too_low_is_403(self):
        self.assertEqual(get_organisation_for_user(self.secretary, "RA1", roles=BOARD_MANAGERS).role, "secretary")
        for user in (self.executive, self.non_executive, self.observer, self.consultant):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                get_organisation_for_user(user, "RA1", roles=BOARD_MANAGERS)

    def test_ics_for_its_consultant_only(self):
        self.assertEqual(get_ics_for_user(self.consultant, "QAA"), self.ics)
        for user in (self.consultant_elsewhere, self.secretary, self.staff):
            with self.subTest(user=user.username), self.assertRaises(Http404):
                get_ics_for_user(user, "QAA")


class ServingTrustVisibilityTests(PersonaTestCase):
    """A consultant of an ICS sees the trusts that serve it, their primary ICS elsewhere
    or not: the ICS page lists them, and they are part of the system's picture."""

    def test_a_consultant_sees_a_trust_that_serves_their_ics_from_elsewhere(self):
        IcsMembership.objects.create(
            organisation=self.other_trust, ics=self.ics, valid_from=self.ics.valid_from, primary=False
        )
        self.assertEqual(self.codes(self.consultant), ["RA1", "RA2", "RB1"])
        self.assertEqual(get_organisation_for_user(self.consultant, "RB1").organisation, self.other_trust)
        # Its primary ICS stays South: that is where its assessments belong.
        self.assertEqual(self.other_trust.ics_on(datetime.date(2026, 4, 1)), self.other_ics)
        self.assertEqual(
            list(Organisation.objects.in_ics_on(self.ics, datetime.date(2026, 4, 1), primary_only=True)),
            [self.trust, self.sibling],
        )

    def codes(self, user) -> list[str]:
        return sorted(Organisation.objects.visible_to(user).values_list("ods_code", flat=True))
