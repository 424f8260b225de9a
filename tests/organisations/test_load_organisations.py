"""`manage.py load_organisations`: the real data, and every kind of bad file."""

import datetime
import shutil
import tempfile
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import TestCase

from organisations.models import IcsMembership, IcsSuccession, IntegratedCareSystem, Organisation, OrganisationName
from tests.base import PersonaTestCase
from tests.factories import make_assessment

REAL = Path(settings.BASE_DIR) / "fixtures" / "organisations"
LAST_DAY_OF_42 = datetime.date(2026, 3, 31)
FIRST_DAY_OF_36 = datetime.date(2026, 4, 1)


def _counts() -> tuple[int, ...]:
    models = (IntegratedCareSystem, Organisation, IcsMembership, IcsSuccession, OrganisationName)
    return tuple(m.objects.count() for m in models)


class RealDataTests(TestCase):
    """The one test class that loads the real reference data."""

    @classmethod
    def setUpTestData(cls):
        cls.output = StringIO()
        call_command("load_organisations", stdout=cls.output)

    def org(self, code: str) -> Organisation:
        return Organisation.objects.get(ods_code=code)

    def test_it_loads_both_configurations(self):
        self.assertEqual(IntegratedCareSystem.objects.count(), 42 + 6)
        self.assertEqual(IntegratedCareSystem.objects.in_force_on(LAST_DAY_OF_42).count(), 42)
        self.assertEqual(IntegratedCareSystem.objects.in_force_on(FIRST_DAY_OF_36).count(), 36)
        self.assertEqual(IntegratedCareSystem.objects.in_force_on(datetime.date(2022, 6, 30)).count(), 0)
        # 202 open trusts and 11 that closed since July 2022.
        self.assertEqual(Organisation.objects.exclude(type="icb").count(), 213)
        self.assertEqual(Organisation.objects.exclude(type="icb").filter(closed_on__isnull=False).count(), 11)
        self.assertEqual(Organisation.objects.filter(type="icb").count(), 48)

    def test_every_trust_has_one_primary_ics_on_each_day_it_exists(self):
        expected = {
            datetime.date(2022, 7, 1): 211,  # not yet North London (Nov 2024) or the Online trust (June 2026)
            LAST_DAY_OF_42: 205,
            FIRST_DAY_OF_36: 202,
            datetime.date(2026, 11, 22): 202,
        }
        for day, count in expected.items():
            with self.subTest(day=day):
                trusts = [o for o in Organisation.objects.exclude(type="icb") if o.exists_on(day)]
                self.assertEqual(len(trusts), count)
                primary = IcsMembership.objects.filter(valid_from__lte=day, primary=True).exclude(valid_to__lt=day)
                self.assertEqual(
                    sorted(primary.exclude(organisation__type="icb").values_list("organisation__ods_code", flat=True)),
                    sorted(o.ods_code for o in trusts),
                )

    def test_which_ics_on_a_date(self):
        ashford = self.org("RTK")  # Ashford and St Peter's: Surrey Heartlands, then Surrey and Sussex
        self.assertEqual(ashford.ics_on(LAST_DAY_OF_42).ods_code, "QXU")
        self.assertEqual(ashford.ics_on(FIRST_DAY_OF_36).ods_code, "S9B9J")
        leeds = self.org("RR8")  # West Yorkshire continued unchanged: one membership
        self.assertEqual(leeds.ics_memberships.get().ics.ods_code, "QWO")
        self.assertIsNone(leeds.ics_memberships.get().valid_to)
        self.assertEqual(self.org("TAD").type, "mental-health")
        self.assertTrue(self.org("RCF").foundation_trust)

    def test_membership_follows_a_trusts_open_and_close_dates(self):
        north_bristol = self.org("RVJ")  # closed 30 June 2026, into RA7
        self.assertEqual(north_bristol.closed_on, datetime.date(2026, 6, 30))
        self.assertEqual(north_bristol.ics_on(datetime.date(2026, 6, 30)).ods_code, "QUY")
        self.assertIsNone(north_bristol.ics_on(datetime.date(2026, 7, 1)))
        online = self.org("K0N6A")  # opened 1 June 2026: not in the 2022-26 configuration
        self.assertIsNone(online.ics_on(LAST_DAY_OF_42))
        self.assertIsNone(online.ics_on(datetime.date(2026, 5, 31)))
        self.assertEqual(online.ics_on(datetime.date(2026, 6, 1)).ods_code, "QKK")
        self.assertEqual(online.ics_memberships.get().valid_from, datetime.date(2026, 6, 1))
        north_london = self.org("G6V2S")  # opened 1 November 2024
        self.assertEqual(
            [(m.ics.ods_code, m.valid_from) for m in north_london.ics_memberships.order_by("valid_from")],
            [("QMJ", datetime.date(2024, 11, 1)), ("Z9B2Z", FIRST_DAY_OF_36)],
        )

    def test_closed_trusts_are_absent_from_later_configurations(self):
        for code, last_day, ics in [
            ("RNK", LAST_DAY_OF_42, "QMJ"),  # Tavistock and Portman
            ("RY2", LAST_DAY_OF_42, "QYG"),  # Bridgewater
            ("RYV", LAST_DAY_OF_42, "QUE"),  # Cambridgeshire Community Services
            ("R1C", datetime.date(2024, 9, 30), "QRL"),  # Solent
            ("RAP", datetime.date(2024, 12, 31), "QMJ"),  # North Middlesex
            ("RRP", datetime.date(2024, 10, 31), "QMJ"),
            ("RY9", datetime.date(2024, 10, 31), "QWE"),
            ("RYK", datetime.date(2024, 9, 30), "QUA"),
        ]:
            with self.subTest(code=code):
                trust = self.org(code)
                self.assertEqual(trust.closed_on, last_day)
                self.assertEqual(trust.ics_memberships.get().valid_to, last_day)
                self.assertEqual(trust.ics_on(last_day).ods_code, ics)
                self.assertIsNone(trust.ics_on(last_day + datetime.timedelta(days=1)))
                self.assertIsNone(trust.ics_on(FIRST_DAY_OF_36))
        tavistock = self.org("RNK")
        west_north_london = IntegratedCareSystem.objects.get(ods_code="Z9B2Z")
        self.assertNotIn(tavistock, Organisation.objects.in_ics_on(west_north_london, FIRST_DAY_OF_36))
        north_central = IntegratedCareSystem.objects.get(ods_code="QMJ")
        self.assertIn(tavistock, Organisation.objects.in_ics_on(north_central, LAST_DAY_OF_42))

    def test_a_trust_has_its_name_of_the_day(self):
        bristol = self.org("RA7")
        self.assertEqual(bristol.name, "Bristol NHS Foundation Trust")
        self.assertEqual(
            bristol.name_on(datetime.date(2023, 4, 1)), "University Hospitals Bristol and Weston NHS Foundation Trust"
        )
        self.assertIsNone(bristol.name_on(datetime.date(2026, 3, 1)))  # renamed on a day the sources do not give
        self.assertEqual(bristol.name_on(datetime.date(2026, 11, 1)), "Bristol NHS Foundation Trust")
        self.assertEqual(self.org("RR8").name_on(datetime.date(2023, 4, 1)), "Leeds Teaching Hospitals NHS Trust")

    def test_multi_system_trusts_serve_several_icss_with_one_primary(self):
        yorkshire = self.org("RX8")  # Yorkshire Ambulance Service: HQ in West Yorkshire
        today = datetime.date(2026, 11, 22)
        self.assertEqual(yorkshire.ics_on(today).ods_code, "QWO")
        south = IntegratedCareSystem.objects.get(ods_code="QF7")
        self.assertIn(yorkshire, Organisation.objects.in_ics_on(south, today))
        self.assertNotIn(yorkshire, Organisation.objects.in_ics_on(south, today, primary_only=True))
        for code in ["RX9", "RYC", "RRU", "RX7", "RYE", "RYD", "RYF", "RYA", "RX8", "RPG", "RV3", "RDE", "RDU"]:
            with self.subTest(code=code):
                self.assertTrue(self.org(code).ics_memberships.filter(primary=False, valid_to__isnull=True).exists())
        # The 2026 mergers change the codes a link points at: Frimley Health served only
        # Frimley until March 2026, then Thames Valley and Hampshire as well as Surrey and Sussex.
        frimley = self.org("RDU")
        self.assertEqual(
            sorted(
                m.ics.ods_code
                for m in frimley.ics_memberships.filter(valid_from__lte=FIRST_DAY_OF_36).exclude(
                    valid_to__lt=FIRST_DAY_OF_36
                )
            ),
            ["QRL", "S0E4D", "S9B9J"],
        )
        self.assertEqual(frimley.ics_memberships.filter(valid_to=LAST_DAY_OF_42).get().ics.ods_code, "QNQ")
        self.assertEqual(
            set(IcsMembership.objects.filter(primary=False).values_list("source", flat=True)), {"to verify"}
        )

    def test_the_merged_london_icb_has_its_ods_name(self):
        self.assertEqual(
            IntegratedCareSystem.objects.get(ods_code="Z9B2Z").name, "NHS West and North London Integrated Care Board"
        )

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
        self.edit("serves_2026.csv", "RX8,QF7", "RX8,QZZ")
        self.assertRefused('serves_2026.csv, row 34: "RX8" is placed in ICS "QZZ"')

    def test_a_membership_in_an_ics_of_another_configuration(self):
        self.edit("trusts_icb_2026.csv", "RCF,QWO", "RCF,QNQ")  # Frimley was abolished before April 2026
        self.assertRefused('"RCF" is placed in ICS "QNQ"')

    def test_overlapping_dates(self):
        self.edit("configurations.csv", "2026-04-01,,icbs_2026.csv", "2026-03-01,,icbs_2026.csv")
        self.assertRefused('configurations.csv, row 3: the dates overlap those of "42 ICBs')

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
            'trusts_icb_2022.csv, row 34: "RXP" is placed in ICS "QHM"',
        )

    def test_dry_run_writes_nothing(self):
        out = StringIO()
        call_command("load_organisations", str(self.folder), "--dry-run", stdout=out)
        self.assertIn("nothing was written", out.getvalue())
        self.assertEqual(_counts(), (0, 0, 0, 0, 0))

    # --- trusts in configurations, names and serves links ---------------------------

    def test_a_trust_listed_in_a_configuration_before_it_opened(self):
        self.edit("trusts_icb_2022.csv", "RCF,QWO,S2", "RCF,QWO,S2\nK0N6A,QKK,S1")
        self.assertRefused(
            'trusts_icb_2022.csv, row 3: "K0N6A" did not exist during "42 ICBs (July 2022 to March 2026)" '
            "(2022-07-01 to 2026-03-31): it from 2026-06-01."
        )

    def test_a_closed_trust_listed_in_a_later_configuration(self):
        self.edit("trusts_icb_2026.csv", "RCF,QWO,S1", "RCF,QWO,S1\nRNK,Z9B2Z,S1")
        self.assertRefused('trusts_icb_2026.csv, row 3: "RNK" did not exist during "36 ICBs (since April 2026)"')

    def test_a_trust_missing_from_a_configuration_it_existed_in(self):
        self.edit("trusts_icb_2022.csv", "RNK,QMJ,S2\n", "")
        self.assertRefused(
            'trusts_icb_2022.csv: "RNK" (Tavistock and Portman NHS Foundation Trust) existed during '
            '"42 ICBs (July 2022 to March 2026)" (1994-04-01 to 2026-03-31) but is not listed.'
        )

    def test_a_close_before_the_open(self):
        self.edit("trusts.csv", "1999-04-01,2026-06-30", "1999-04-01,1998-06-30")
        self.assertRefused('"closed_on" (1998-06-30) is before "opened_on" (1999-04-01)')

    def test_an_open_trust_needs_a_type(self):
        self.edit("trusts.csv", "RCF,Airedale NHS Foundation Trust,acute", "RCF,Airedale NHS Foundation Trust,")
        self.assertRefused('trusts.csv, row 2: "" is not a known trust type')

    def test_a_serves_link_to_the_primary_ics(self):
        self.edit("serves_2026.csv", "RX8,QF7", "RX8,QWO")
        self.assertRefused('serves_2026.csv, row 34: "QWO" is already the primary ICS of "RX8" (trusts_icb_2026.csv).')

    def test_a_serves_link_twice(self):
        self.edit("serves_2026.csv", "RX8,QOQ", "RX8,QF7")
        self.assertRefused('serves_2026.csv, row 35: "RX8" serving "QF7" is listed twice (first in row 34).')

    def test_a_serves_link_without_a_source(self):
        self.edit("serves_2026.csv", "RX8,QF7,to verify", "RX8,QF7,")
        self.assertRefused('serves_2026.csv, row 34: "source" is empty: give the source, or "to verify".')

    def test_a_serves_link_for_a_trust_not_in_the_configuration(self):
        self.edit("serves_2026.csv", "RX8,QF7", "RNK,QF7")
        self.assertRefused('serves_2026.csv, row 34: "RNK" did not exist during "36 ICBs (since April 2026)"')

    def test_a_current_name_that_differs_from_the_trust_file(self):
        self.edit("trust_names.csv", "RA7,Bristol NHS Foundation Trust,", "RA7,Bristol NHS Trust,")
        self.assertRefused(
            'trust_names.csv, row 5: the last name of "RA7" is "Bristol NHS Trust", but trusts.csv (row 21) '
            'calls it "Bristol NHS Foundation Trust".'
        )

    def test_names_that_overlap(self):
        self.edit(
            "trust_names.csv",
            "RA7,Bristol NHS Foundation Trust,2026-07-08",
            "RA7,Bristol NHS Foundation Trust,2025-12-01",
        )
        self.assertRefused(
            'trust_names.csv, row 5: the name of "RA7" from 2025-12-01 overlaps the one before it (row 4).'
        )

    def test_a_later_name_without_a_start(self):
        self.edit("trust_names.csv", "RA7,Bristol NHS Foundation Trust,2026-07-08", "RA7,Bristol NHS Foundation Trust,")
        self.assertRefused('trust_names.csv, row 5: "valid_from" is empty: only the first name of "RA7"')


MADE_UP_2027 = {
    # Two ICBs of 2026 merge into a made-up one; everything else continues.
    "icbs_2027.csv": "ods_code,name,region,predecessor_ods_codes,change\n"
    "X0X0X,NHS Greater Yorkshire Integrated Care Board,North East and Yorkshire,QWO;QF7,made up for a test\n",
    "serves_2027.csv": "ods_code,icb_ods_code,source,note\nRYA,QHL,to verify,made up\n",
}


class ThirdConfigurationTests(TestCase):
    """A third configuration (made up: West and South Yorkshire merging in April 2027)
    loads from data alone: a new row in configurations.csv and three new files."""

    @classmethod
    def setUpTestData(cls):
        call_command("load_organisations", stdout=StringIO())  # the real data first, as in production

    def setUp(self):
        self.folder = Path(self.enterContext(tempfile.TemporaryDirectory())) / "organisations"
        shutil.copytree(REAL, self.folder)
        icbs_2026 = (self.folder / "icbs_2026.csv").read_text().splitlines()
        kept = [line for line in icbs_2026[1:] if not line.startswith(("QWO,", "QF7,"))]
        header = "ods_code,name,region,predecessor_ods_codes,change"
        icbs_2027 = [header] + [",".join(line.split(",")[:3]) + ",," if '"' not in line else line for line in kept]
        lines_2027 = MADE_UP_2027["icbs_2027.csv"].splitlines()
        (self.folder / "icbs_2027.csv").write_text("\n".join(icbs_2027 + lines_2027[1:]) + "\n")
        trusts = (self.folder / "trusts_icb_2026.csv").read_text().splitlines()
        moved = [
            line.replace(",QWO,", ",X0X0X,").replace(",QF7,", ",X0X0X,")
            for line in trusts
            if not line.startswith("RVJ,")  # closed in June 2026
        ]
        (self.folder / "trusts_icb_2027.csv").write_text("\n".join(moved) + "\n")
        (self.folder / "serves_2027.csv").write_text(MADE_UP_2027["serves_2027.csv"])
        configurations = self.folder / "configurations.csv"
        text = configurations.read_text().replace("2026-04-01,,icbs_2026.csv", "2026-04-01,2027-03-31,icbs_2026.csv")
        configurations.write_text(
            text + "35 ICBs (made up: from April 2027),2027-04-01,,icbs_2027.csv,trusts_icb_2027.csv,serves_2027.csv\n"
        )

    def test_it_loads_from_data_alone(self):
        out = StringIO()
        call_command("load_organisations", str(self.folder), stdout=out)
        self.assertIn("Loaded 49 ICSs", out.getvalue())
        april_2027 = datetime.date(2027, 4, 1)
        self.assertEqual(IntegratedCareSystem.objects.in_force_on(april_2027).count(), 35)
        west = IntegratedCareSystem.objects.get(ods_code="QWO")
        self.assertEqual(west.valid_to, datetime.date(2027, 3, 31))
        greater = IntegratedCareSystem.objects.get(ods_code="X0X0X")
        self.assertEqual(
            sorted(IcsSuccession.objects.filter(successor=greater).values_list("predecessor__ods_code", flat=True)),
            ["QF7", "QWO"],
        )
        leeds = Organisation.objects.get(ods_code="RR8")
        self.assertEqual(leeds.ics_on(datetime.date(2027, 3, 31)), west)
        self.assertEqual(leeds.ics_on(april_2027), greater)
        self.assertEqual(leeds.ics_on(datetime.date(2022, 7, 1)), west)  # one membership, now ended
        self.assertEqual(leeds.ics_memberships.get(ics=west).valid_from, datetime.date(2022, 7, 1))
        # Yorkshire Ambulance Service: its primary moves, and it no longer "also serves" South Yorkshire.
        yas = Organisation.objects.get(ods_code="RX8")
        self.assertEqual(yas.ics_on(april_2027), greater)
        self.assertNotIn(yas, Organisation.objects.in_ics_on(greater, april_2027).exclude(pk__in=[yas.pk]))
        self.assertFalse(yas.ics_memberships.filter(primary=False, valid_to__isnull=True).exists())
        self.assertTrue(
            Organisation.objects.get(ods_code="RYA")
            .ics_memberships.filter(primary=False, ics__ods_code="QHL", valid_to__isnull=True)
            .exists()
        )
        again = StringIO()
        call_command("load_organisations", str(self.folder), stdout=again)
        self.assertIn("No changes", again.getvalue())


class ExistingRecordsTests(PersonaTestCase):
    """A file may not move an assessment (a record pinned to a trust's ICS) to another ICS."""

    def setUp(self):
        self.folder = Path(self.enterContext(tempfile.TemporaryDirectory()))
        write_folder(self.folder)

    def load(self) -> str:
        out = StringIO()
        call_command("load_organisations", str(self.folder), stdout=out)
        return out.getvalue()

    def test_it_refuses_to_move_an_assessments_ics(self):
        self.load()
        assessment = make_assessment(self.trust, secretary=self.secretary, year=2026, status="draft")
        self.assertEqual(assessment.ics, self.ics)
        # The made-up data moves RA1 from North to South in 2026.
        path = self.folder / "trusts_2026.csv"
        path.write_text(path.read_text().replace("RA1,QAA", "RA1,QBB"))
        with self.assertRaises(CommandError) as ctx:
            self.load()
        self.assertIn(
            'trusts_2026.csv, row 2: would place it in "QBB" on 2026-04-01, but the assessment for 2026/27 of "RA1" '
            "is in North (QAA): a record cannot move to another ICS.",
            str(ctx.exception),
        )
        self.assertEqual(self.trust.ics_on(datetime.date(2026, 4, 1)), self.ics)

    def test_it_refuses_to_leave_an_assessment_without_its_ics(self):
        self.load()
        make_assessment(self.trust, secretary=self.secretary, year=2026, status="draft")
        path = self.folder / "trusts.csv"
        path.write_text(
            path.read_text().replace(
                "RA1,North Hospitals NHS Trust,acute,no,,", "RA1,North Hospitals NHS Trust,acute,no,,2026-03-31"
            )
        )
        path = self.folder / "trusts_2026.csv"
        path.write_text(path.read_text().replace("RA1,QAA,made up\n", ""))
        with self.assertRaises(CommandError) as ctx:
            self.load()
        self.assertIn(
            'would place it in no ICS on 2026-04-01, but the assessment for 2026/27 of "RA1"', str(ctx.exception)
        )

    def test_a_change_on_other_dates_is_allowed(self):
        self.load()
        make_assessment(self.trust, secretary=self.secretary, year=2026, status="draft")
        path = self.folder / "serves_2026.csv"
        path.write_text(path.read_text() + "RA1,QBB,to verify,made up\n")
        self.assertIn("ICS memberships: 2 added", self.load())
        self.assertEqual(self.trust.ics_on(datetime.date(2026, 4, 1)), self.ics)


def write_folder(folder: Path) -> None:
    """A small made-up data set matching the personas' North (QAA) and South (QBB)."""
    files = {
        "configurations.csv": "name,valid_from,valid_to,icb_file,trust_file,serves_file\n"
        "Made up 2022,2022-07-01,2026-03-31,icbs.csv,trusts_2022.csv,\n"
        "Made up 2026,2026-04-01,,icbs.csv,trusts_2026.csv,serves_2026.csv\n",
        "icbs.csv": "ods_code,name,region\n"
        "QAA,NHS North Integrated Care Board,North East and Yorkshire\n"
        "QBB,NHS South Integrated Care Board,North East and Yorkshire\n",
        "trusts.csv": "ods_code,name,trust_type,foundation_trust,opened_on,closed_on,source\n"
        "RA1,North Hospitals NHS Trust,acute,no,,,made up\n"
        "RA2,North Mental Health NHS Foundation Trust,mental health,yes,,,made up\n"
        "RB1,South Hospitals NHS Trust,acute,no,,,made up\n",
        "trust_names.csv": "ods_code,name,valid_from,valid_to,source\n",
        "trusts_2022.csv": "ods_code,icb_ods_code,source\nRA1,QAA,made up\nRA2,QAA,made up\nRB1,QBB,made up\n",
        "trusts_2026.csv": "ods_code,icb_ods_code,source\nRA1,QAA,made up\nRA2,QAA,made up\nRB1,QBB,made up\n",
        "serves_2026.csv": "ods_code,icb_ods_code,source,note\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
