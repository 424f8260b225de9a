"""`manage.py load_organisations`: the real data, and every kind of bad file."""

import datetime
import shutil
import tempfile
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import TestCase

from organisations.models import IcsMembership, IcsSuccession, IntegratedCareSystem, Organisation

REAL = Path(settings.BASE_DIR) / "fixtures" / "organisations"
LAST_DAY_OF_42 = datetime.date(2026, 3, 31)
FIRST_DAY_OF_36 = datetime.date(2026, 4, 1)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (IntegratedCareSystem, Organisation, IcsMembership, IcsSuccession))


class RealDataTests(TestCase):
    """The one test class that loads the real reference data."""

    @classmethod
    def setUpTestData(cls):
        cls.output = StringIO()
        call_command("load_organisations", stdout=cls.output)

    def test_it_loads_both_configurations(self):
        self.assertEqual(IntegratedCareSystem.objects.count(), 42 + 6)
        self.assertEqual(IntegratedCareSystem.objects.in_force_on(LAST_DAY_OF_42).count(), 42)
        self.assertEqual(IntegratedCareSystem.objects.in_force_on(FIRST_DAY_OF_36).count(), 36)
        self.assertEqual(IntegratedCareSystem.objects.in_force_on(datetime.date(2022, 6, 30)).count(), 0)
        self.assertEqual(Organisation.objects.exclude(type="icb").count(), 202)
        self.assertEqual(Organisation.objects.filter(type="icb").count(), 48)

    def test_every_trust_is_in_exactly_one_ics_on_any_date(self):
        for day in (datetime.date(2022, 7, 1), LAST_DAY_OF_42, FIRST_DAY_OF_36, datetime.date(2026, 11, 22)):
            with self.subTest(day=day):
                in_force = IcsMembership.objects.filter(valid_from__lte=day).exclude(valid_to__lt=day)
                self.assertEqual(in_force.exclude(organisation__type="icb").count(), 202)
                self.assertEqual(in_force.values("organisation").distinct().count(), in_force.count())

    def test_which_ics_on_a_date(self):
        ashford = Organisation.objects.get(
            ods_code="RTK"
        )  # Ashford and St Peter's: Surrey Heartlands, then Surrey and Sussex
        self.assertEqual(ashford.ics_on(LAST_DAY_OF_42).ods_code, "QXU")
        self.assertEqual(ashford.ics_on(FIRST_DAY_OF_36).ods_code, "S9B9J")
        leeds = Organisation.objects.get(ods_code="RR8")  # West Yorkshire continued unchanged: one membership
        self.assertEqual(leeds.ics_memberships.get().ics.ods_code, "QWO")
        self.assertIsNone(leeds.ics_memberships.get().valid_to)
        self.assertEqual(Organisation.objects.get(ods_code="TAD").type, "mental-health")
        self.assertTrue(Organisation.objects.get(ods_code="RCF").foundation_trust)

    def test_abolished_systems_end_and_new_ones_name_their_predecessors(self):
        frimley = IntegratedCareSystem.objects.get(ods_code="QNQ")
        self.assertEqual(frimley.valid_to, LAST_DAY_OF_42)
        surrey_sussex = IntegratedCareSystem.objects.get(ods_code="S9B9J")
        self.assertEqual(surrey_sussex.valid_from, FIRST_DAY_OF_36)
        self.assertEqual(
            sorted((s.predecessor.ods_code, s.partial) for s in IcsSuccession.objects.filter(successor=surrey_sussex)),
            [("QNQ", True), ("QNX", False), ("QXU", False)],
        )
        self.assertEqual(surrey_sussex.short_name, "Surrey and Sussex")

    def test_a_second_run_changes_nothing(self):
        before = _counts()
        out = StringIO()
        call_command("load_organisations", stdout=out)
        self.assertIn("No changes", out.getvalue())
        self.assertEqual(_counts(), before)


class BadDataTests(TestCase):
    """Each case copies the real files, breaks one thing, and expects a refusal."""

    def setUp(self):
        self.folder = Path(self.enterContext(tempfile.TemporaryDirectory())) / "organisations"
        shutil.copytree(REAL, self.folder)

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.folder / name
        text = path.read_text(encoding="utf-8")
        self.assertIn(old, text)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def assertRefused(self, *fragments: str) -> str:
        before = _counts()
        with self.assertRaises(CommandError) as ctx:
            call_command("load_organisations", str(self.folder), stdout=StringIO())
        message = str(ctx.exception)
        self.assertIn("nothing was loaded", message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual(_counts(), before)
        return message

    def test_an_unknown_trust_type(self):
        self.edit("trusts.csv", "RCF,Airedale NHS Foundation Trust,acute", "RCF,Airedale NHS Foundation Trust,hospital")
        self.assertRefused('trusts.csv, row 2: "hospital" is not a known trust type')

    def test_a_duplicate_ods_code(self):
        self.edit("trusts.csv", "RBS,Alder Hey", "RCF,Alder Hey")
        self.assertRefused('trusts.csv, row 3: the ODS code "RCF" is used twice (first in row 2)')

    def test_a_duplicate_icb(self):
        self.edit("icbs.csv", "QHM,NHS North East", "QOQ,NHS North East")
        self.assertRefused('icbs.csv, row 3: the ODS code "QOQ" is used twice')

    def test_a_membership_pointing_at_an_unknown_ics(self):
        self.edit("trusts_icb_2026.csv", "RCF,QWO", "RCF,QZZ")
        self.assertRefused('trusts_icb_2026.csv, row 2: "RCF" is placed in ICS "QZZ", which is not an ICB of "36 ICBs')

    def test_a_membership_in_an_ics_of_another_configuration(self):
        self.edit("trusts_icb_2026.csv", "RCF,QWO", "RCF,QNQ")  # Frimley was abolished before April 2026
        self.assertRefused('"RCF" is placed in ICS "QNQ"')

    def test_overlapping_dates(self):
        self.edit("configurations.csv", "2026-04-01,,icbs_2026.csv", "2026-03-01,,icbs_2026.csv")
        self.assertRefused(
            'configurations.csv, row 3: the dates overlap those of "42 ICBs', "would be in two ICSs at once"
        )

    def test_an_end_before_the_start(self):
        self.edit("configurations.csv", "2022-07-01,2026-03-31", "2022-07-01,2021-03-31")
        self.assertRefused('configurations.csv, row 2: "valid_to" (2021-03-31) is before "valid_from" (2022-07-01)')

    def test_an_impossible_date(self):
        self.edit("configurations.csv", "2026-04-01,,", "2026-04-31,,")
        self.assertRefused('configurations.csv, row 3: "valid_from" must be a date like 2026-04-01, not "2026-04-31"')

    def test_an_unknown_region(self):
        self.edit(
            "icbs.csv",
            "QOQ,NHS Humber and North Yorkshire Integrated Care Board,North East and Yorkshire",
            "QOQ,NHS Humber and North Yorkshire Integrated Care Board,Yorkshire",
        )
        self.assertRefused('icbs.csv, row 2: "Yorkshire" is not an NHS England region')

    def test_a_bad_foundation_trust_flag(self):
        self.edit("trusts.csv", "Airedale NHS Foundation Trust,acute,yes", "Airedale NHS Foundation Trust,acute,maybe")
        self.assertRefused('trusts.csv, row 2: "foundation_trust" must be yes or no, not "maybe"')

    def test_an_unknown_predecessor(self):
        self.edit("icbs_2026.csv", "QHG;QUE;QM7 (part)", "QHG;QXX;QM7 (part)")
        self.assertRefused('"S1Y5D" names a predecessor "QXX" that is not an ICB in any file')

    def test_a_trust_missing_from_the_organisation_file(self):
        self.edit("trusts_icb_2026.csv", "RCF,QWO", "RZZ9,QWO")
        self.assertRefused('trusts_icb_2026.csv, row 2: "RZZ9" is not an organisation in trusts.csv')

    def test_a_malformed_ods_code(self):
        self.edit("trusts.csv", "RCF,Airedale", "rc f,Airedale")
        self.assertRefused('trusts.csv, row 2: "rc f" is not an ODS code')

    def test_a_missing_column_and_a_missing_file(self):
        self.edit("icbs.csv", "ods_code,name,region", "ods_code,name,area")
        (self.folder / "trusts_icb_2026.csv").unlink()
        self.assertRefused(
            "icbs.csv, row 1: the header lacks the column region", "trusts_icb_2026.csv: the file is missing"
        )

    def test_every_problem_is_reported_at_once(self):
        self.edit("trusts.csv", "RCF,Airedale NHS Foundation Trust,acute", "RCF,Airedale NHS Foundation Trust,hospital")
        self.edit("trusts_icb_2026.csv", "RBS,QYG", "RBS,QZZ")
        self.edit("icbs.csv", "QHM,NHS North East", "QOQ,NHS North East")
        self.assertRefused(
            'trusts.csv, row 2: "hospital" is not a known trust type',
            'trusts_icb_2026.csv, row 3: "RBS" is placed in ICS "QZZ"',
            'icbs.csv, row 3: the ODS code "QOQ" is used twice',
            # and the consequences: the trusts of the ICB that lost its row
            'trusts.csv, row 31: "RXP" is placed in ICS "QHM"',
        )

    def test_dry_run_writes_nothing(self):
        out = StringIO()
        call_command("load_organisations", str(self.folder), "--dry-run", stdout=out)
        self.assertIn("nothing was written", out.getvalue())
        self.assertEqual(_counts(), (0, 0, 0, 0))
