"""Dated names and the one-primary-ICS rule on the models."""

import datetime

from django.db import IntegrityError, transaction

from organisations.models import IcsMembership, OrganisationName
from tests.base import PersonaTestCase

D = datetime.date


class NameOnTests(PersonaTestCase):
    def name(self, name: str, valid_from=None, valid_to=None) -> None:
        OrganisationName.objects.create(organisation=self.trust, name=name, valid_from=valid_from, valid_to=valid_to)

    def test_without_a_recorded_rename_it_is_the_name(self):
        self.assertEqual(self.trust.name_on(D(2000, 1, 1)), "North Hospitals NHS Trust")

    def test_a_rename_on_a_known_day(self):
        self.name("Old", valid_to=D(2026, 3, 31))
        self.name("North Hospitals NHS Trust", valid_from=D(2026, 4, 1))
        self.assertEqual(self.trust.name_on(D(2020, 1, 1)), "Old")
        self.assertEqual(self.trust.name_on(D(2026, 3, 31)), "Old")
        self.assertEqual(self.trust.name_on(D(2026, 4, 1)), "North Hospitals NHS Trust")

    def test_between_the_records_of_two_names_there_is_no_answer(self):
        self.name("Old", valid_to=D(2025, 7, 15))
        self.name("North Hospitals NHS Trust", valid_from=D(2025, 12, 29))
        self.assertEqual(self.trust.name_on(D(2025, 7, 15)), "Old")
        self.assertIsNone(self.trust.name_on(D(2025, 9, 1)))
        self.assertEqual(self.trust.name_on(D(2025, 12, 29)), "North Hospitals NHS Trust")

    def test_a_name_whose_end_is_not_recorded_gives_no_answer(self):
        self.name("Old")
        self.name("North Hospitals NHS Trust", valid_from=D(2026, 8, 22))
        self.assertIsNone(self.trust.name_on(D(2024, 1, 1)))
        self.assertEqual(self.trust.name_on(D(2026, 8, 22)), "North Hospitals NHS Trust")


class PrimaryMembershipTests(PersonaTestCase):
    def test_two_primary_memberships_from_one_day_are_refused(self):
        with self.assertRaises(IntegrityError), transaction.atomic():
            IcsMembership.objects.create(organisation=self.trust, ics=self.other_ics, valid_from=self.ics.valid_from)

    def test_a_second_system_served_from_the_same_day_is_allowed(self):
        IcsMembership.objects.create(
            organisation=self.trust, ics=self.other_ics, valid_from=self.ics.valid_from, primary=False
        )
        self.assertEqual(self.trust.ics_on(D(2026, 4, 1)), self.ics)

    def test_ics_on_is_the_primary_one(self):
        # The other system's link starts earlier, so it comes first in any ordering by date.
        IcsMembership.objects.filter(organisation=self.trust).delete()
        IcsMembership.objects.create(
            organisation=self.trust, ics=self.other_ics, valid_from=D(2022, 7, 1), primary=False
        )
        IcsMembership.objects.create(organisation=self.trust, ics=self.ics, valid_from=D(2023, 4, 1))
        self.assertEqual(self.trust.ics_on(D(2026, 4, 1)), self.ics)
        self.assertIsNone(self.trust.ics_on(D(2023, 3, 31)))


class SuccessionDirectionTests(PersonaTestCase):
    def test_predecessors_are_the_systems_an_ics_was_formed_from(self):
        from organisations.models import IcsSuccession
        from tests.base import make_ics

        merged = make_ics("QCC", "Merged", valid_from=D(2026, 4, 1))
        IcsSuccession.objects.create(predecessor=self.ics, successor=merged)
        IcsSuccession.objects.create(predecessor=self.other_ics, successor=merged, partial=True)
        self.assertEqual(sorted(merged.predecessors.values_list("ods_code", flat=True)), ["QAA", "QBB"])
        self.assertEqual(list(self.ics.successors.values_list("ods_code", flat=True)), ["QCC"])
        self.assertEqual(list(self.ics.predecessors.all()), [])
