"""The framework files we ship: read them, load them, and check what they say.

This is the one test module that loads the real fixture files (bakerydemo's rule).
"""

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import TestCase

from frameworks.loading import read_files
from frameworks.models import Framework, Level, Line, Section

FOLDER = Path(settings.BASE_DIR) / "fixtures" / "frameworks"

WELL_LED_PROMPTS = {
    "W1": ["W1.1", "W1.2", "W1.3", "W1.4"],
    "W2": ["W2.1", "W2.2", "W2.3", "W2.4", "W2.5", "W2.6"],
    "W3": ["W3.1", "W3.2", "W3.3", "W3.4", "W3.5", "W3.6", "W3.7", "W3.8", "W3.9"],
    "W4": ["W4.1", "W4.2", "W4.3", "W4.4", "W4.5"],
    "W5": ["W5.1", "W5.2", "W5.3", "W5.4", "W5.5", "W5.6"],
    "W6": ["W6.1", "W6.2", "W6.3", "W6.4", "W6.5", "W6.6", "W6.7"],
    "W7": ["W7.1", "W7.2", "W7.3", "W7.4", "W7.5"],
    "W8": ["W8.1", "W8.2", "W8.3", "W8.4", "W8.5"],
}
SYSTEM_WORKING_LINES = [f"W{n}.S" for n in range(1, 9)]
PRINCIPLE_LINES = [f"P{p}.{i}" for p in range(1, 9) for i in range(1, 4)]


class SeededFilesTests(TestCase):
    """What the files say, read without touching the database."""

    @classmethod
    def setUpTestData(cls):
        cls.batch = read_files(sorted(FOLDER.glob("*.yaml")))
        cls.versions = {(spec.slug, spec.version): spec for spec in cls.batch.frameworks}
        cls.current = {spec.slug: spec for spec in cls.batch.frameworks if spec.status == "current"}
        cls.scales = {spec.version: spec for spec in cls.batch.scales}

    def test_two_frameworks_each_with_a_current_and_a_superseded_version_and_two_scale_versions(self):
        self.assertEqual(
            sorted((slug, version, spec.status) for (slug, version), spec in self.versions.items()),
            [
                ("well-led", "2017", "superseded"),
                ("well-led", "2017.2", "current"),
                ("whole-system-working", "1", "superseded"),
                ("whole-system-working", "2", "current"),
            ],
        )
        self.assertEqual(sum(len(spec.sections) for spec in self.current.values()), 16)
        self.assertEqual(sorted(self.scales), ["1", "2"])
        # Current versions use the new scale; the versions last year's scores rest on keep the old.
        self.assertEqual({(s.scale, s.scale_version) for s in self.current.values()}, {("board-maturity", "2")})
        self.assertEqual(self.versions["well-led", "2017"].scale_version, "1")
        self.assertEqual(self.versions["whole-system-working", "1"].scale_version, "1")

    def test_every_scale_has_five_levels_in_order(self):
        for version, scale in self.scales.items():
            with self.subTest(version=version):
                levels = [(lv.number, lv.name) for lv in scale.levels]
                self.assertEqual(
                    levels,
                    [(1, "Emerging"), (2, "Developing"), (3, "Established"), (4, "Embedded"), (5, "Exemplary")],
                )
                self.assertTrue(all(lv.descriptor for lv in scale.levels))

    def test_scale_2_requires_evidence_from_level_3_and_recognises_more_than_cqc(self):
        scale = self.scales["2"]
        self.assertEqual(scale.evidence_from, 3)
        self.assertIn("Evidence is required from level 3", scale.description)
        self.assertIn("NHS England", scale.levels[4].evidence)
        self.assertIn("peer review", scale.levels[4].evidence)
        # Levels are cumulative, so level 2 no longer describes what level 3 is not.
        self.assertNotIn("partial or inconsistent", scale.levels[1].descriptor)

    def test_well_led_has_every_kloe_prompt_and_a_system_working_line_per_kloe(self):
        for version in ("2017", "2017.2"):
            with self.subTest(version=version):
                spec = self.versions["well-led", version]
                self.assertEqual([s.code for s in spec.sections], list(WELL_LED_PROMPTS))
                codes = [line.code for line in spec.lines]
                expected = [c for section in WELL_LED_PROMPTS for c in [*WELL_LED_PROMPTS[section], f"{section}.S"]]
                self.assertEqual(codes, expected)
                # 46 general prompts, W4.5 for mental health trusts, and 8 system-working lines.
                self.assertEqual(len(codes), 46 + 1 + 8)

    def test_the_cqc_prompts_did_not_change_between_well_led_versions(self):
        old = {line.code: line.text for line in self.versions["well-led", "2017"].lines}
        new = {line.code: line.text for line in self.versions["well-led", "2017.2"].lines}
        prompts = [code for codes in WELL_LED_PROMPTS.values() for code in codes]
        self.assertEqual({c: new[c] for c in prompts}, {c: old[c] for c in prompts})

    def test_w4_5_applies_to_mental_health_trusts_only(self):
        lines = {line.code: line for line in self.current["well-led"].lines}
        self.assertEqual(lines["W4.5"].organisation_types, ("mental-health",))
        others = [line for code, line in lines.items() if code != "W4.5"]
        self.assertTrue(all(line.organisation_types == () for line in others))

    def test_w5_prompts_and_guidance_carry_the_recalled_mark(self):
        spec = self.current["well-led"]
        lines = [line for line in spec.lines if line.section == "W5" and line.code != "W5.S"]
        self.assertEqual(len(lines), 6)
        for line in lines:
            self.assertIn("Recalled, to verify", line.source_note)
        w5 = next(s for s in spec.sections if s.code == "W5")
        self.assertIn("Recalled, to verify", w5.source_note)
        self.assertEqual(w5.source_url, "")

    def test_each_well_led_section_but_w5_cites_its_own_cqc_page(self):
        sections = {s.code: s for s in self.current["well-led"].sections}
        urls = [s.source_url for code, s in sections.items() if code != "W5"]
        self.assertEqual(len(set(urls)), 7)
        for url in urls:
            self.assertRegex(url, r"^https://(www\.)?cqc\.org\.uk/guidance-providers/")

    def test_system_working_lines_are_tagged(self):
        tagged = [line.code for line in self.current["well-led"].lines if "system-working" in line.tags]
        self.assertEqual(tagged, SYSTEM_WORKING_LINES)

    def test_system_working_lines_ask_one_question_each(self):
        # One idea per line cannot be checked by code; one question mark can.
        for line in self.current["well-led"].lines:
            if "system-working" in line.tags:
                self.assertEqual(line.text.count("?"), 1, line.code)

    def test_whole_system_working_has_eight_principles_with_two_to_four_statements(self):
        for version in ("1", "2"):
            spec = self.versions["whole-system-working", version]
            self.assertEqual([s.code for s in spec.sections], [f"P{n}" for n in range(1, 9)])
            self.assertEqual([line.code for line in spec.lines], PRINCIPLE_LINES)
            for section in spec.sections:
                count = sum(1 for line in spec.lines if line.section == section.code)
                self.assertTrue(2 <= count <= 4, f"{section.code} has {count} statements")

    def test_whole_system_working_2_rewrites_the_eleven_joined_statements_and_fixes_the_stp_wording(self):
        old = {line.code: line for line in self.versions["whole-system-working", "1"].lines}
        new = {line.code: line for line in self.versions["whole-system-working", "2"].lines}
        changed = sorted(code for code in new if new[code].text != old[code].text)
        self.assertEqual(
            changed, ["P1.1", "P1.3", "P3.1", "P3.3", "P4.3", "P6.2", "P6.3", "P7.1", "P7.3", "P8.1", "P8.3"]
        )
        spec = self.versions["whole-system-working", "2"]
        self.assertIn("Sustainability and Transformation Plans", spec.attribution)
        self.assertNotIn("partnership period", spec.attribution)
        p7 = next(s for s in spec.sections if s.code == "P7")
        self.assertIn("Health and Care Act 2022", p7.guidance)

    def test_a_line_says_how_it_changed_exactly_when_its_wording_changed(self):
        pairs = [
            (("well-led", "2017"), ("well-led", "2017.2")),
            (("whole-system-working", "1"), ("whole-system-working", "2")),
        ]
        for before, after in pairs:
            old = {line.code: line for line in self.versions[before].lines}
            for line in self.versions[after].lines:
                with self.subTest(line=line.code):
                    self.assertEqual(bool(line.changed_from), line.text != old[line.code].text)
            self.assertTrue(all(not line.changed_from for line in old.values()))

    def test_each_source_is_attributed_with_a_licence(self):
        for spec in self.batch.frameworks:
            self.assertTrue(spec.attribution, spec.slug)
            self.assertTrue(spec.licence, spec.slug)
        self.assertIn("Open Government Licence", self.current["well-led"].licence)


class LoadingSeededFilesTests(TestCase):
    def load(self, *args: str) -> str:
        out = StringIO()
        call_command("load_frameworks", *args, stdout=out)
        return out.getvalue()

    def test_it_loads_everything_and_a_second_run_changes_nothing(self):
        first = self.load()
        self.assertIn("created", first)
        counts = (Framework.objects.count(), Section.objects.count(), Line.objects.count(), Level.objects.count())
        self.assertEqual(counts, (4, 32, 2 * (55 + 24), 10))

        second = self.load()
        self.assertIn("No changes", second)
        self.assertNotIn("created", second)
        self.assertEqual(
            (Framework.objects.count(), Section.objects.count(), Line.objects.count(), Level.objects.count()), counts
        )

    def test_lines_are_stored_in_file_order_within_their_sections(self):
        self.load()
        w3 = Section.objects.get(framework__slug="well-led", framework__status="current", code="W3")
        self.assertEqual([line.code for line in w3.lines.order_by("order")], [*WELL_LED_PROMPTS["W3"], "W3.S"])
        w45 = Line.objects.get(framework__status="current", code="W4.5")
        self.assertEqual(w45.organisation_types, ["mental-health"])
        self.assertFalse(w45.applies_to("acute"))
        self.assertTrue(w45.applies_to("mental-health"))
        self.assertTrue(Line.objects.get(framework__status="current", code="W4.4").applies_to("acute"))
