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
        cls.frameworks = {spec.slug: spec for spec in cls.batch.frameworks}

    def test_it_has_two_frameworks_sixteen_sections_and_one_scale(self):
        self.assertEqual(sorted(self.frameworks), ["well-led", "whole-system-working"])
        self.assertEqual(sum(len(spec.sections) for spec in self.batch.frameworks), 16)
        self.assertEqual(len(self.batch.scales), 1)

    def test_the_scale_has_five_levels_in_order(self):
        levels = [(lv.number, lv.name) for lv in self.batch.scales[0].levels]
        self.assertEqual(
            levels, [(1, "Emerging"), (2, "Developing"), (3, "Established"), (4, "Embedded"), (5, "Exemplary")]
        )
        self.assertTrue(all(lv.descriptor for lv in self.batch.scales[0].levels))

    def test_well_led_has_every_kloe_prompt_and_a_system_working_line_per_kloe(self):
        spec = self.frameworks["well-led"]
        self.assertEqual([s.code for s in spec.sections], list(WELL_LED_PROMPTS))
        codes = [line.code for line in spec.lines]
        expected = [c for section in WELL_LED_PROMPTS for c in [*WELL_LED_PROMPTS[section], f"{section}.S"]]
        self.assertEqual(codes, expected)
        # 46 general prompts, W4.5 for mental health trusts, and 8 system-working lines.
        self.assertEqual(len(codes), 46 + 1 + 8)

    def test_w4_5_applies_to_mental_health_trusts_only(self):
        lines = {line.code: line for line in self.frameworks["well-led"].lines}
        self.assertEqual(lines["W4.5"].organisation_types, ("mental-health",))
        others = [line for code, line in lines.items() if code != "W4.5"]
        self.assertTrue(all(line.organisation_types == () for line in others))

    def test_w5_prompts_carry_the_recalled_mark(self):
        lines = [line for line in self.frameworks["well-led"].lines if line.section == "W5" and line.code != "W5.S"]
        self.assertEqual(len(lines), 6)
        for line in lines:
            self.assertIn("Recalled, to verify", line.source_note)

    def test_system_working_lines_are_tagged(self):
        tagged = [line.code for line in self.frameworks["well-led"].lines if "system-working" in line.tags]
        self.assertEqual(tagged, SYSTEM_WORKING_LINES)

    def test_whole_system_working_has_eight_principles_with_two_to_four_statements(self):
        spec = self.frameworks["whole-system-working"]
        self.assertEqual([s.code for s in spec.sections], [f"P{n}" for n in range(1, 9)])
        self.assertEqual([line.code for line in spec.lines], PRINCIPLE_LINES)
        for section in spec.sections:
            count = sum(1 for line in spec.lines if line.section == section.code)
            self.assertTrue(2 <= count <= 4, f"{section.code} has {count} statements")

    def test_each_source_is_attributed_with_a_licence(self):
        for spec in self.batch.frameworks:
            self.assertTrue(spec.attribution, spec.slug)
            self.assertTrue(spec.licence, spec.slug)
        self.assertIn("Open Government Licence", self.frameworks["well-led"].licence)


class LoadingSeededFilesTests(TestCase):
    def load(self, *args: str) -> str:
        out = StringIO()
        call_command("load_frameworks", *args, stdout=out)
        return out.getvalue()

    def test_it_loads_everything_and_a_second_run_changes_nothing(self):
        first = self.load()
        self.assertIn("created", first)
        counts = (Framework.objects.count(), Section.objects.count(), Line.objects.count(), Level.objects.count())
        self.assertEqual(counts, (2, 16, 55 + 24, 5))

        second = self.load()
        self.assertIn("No changes", second)
        self.assertNotIn("created", second)
        self.assertEqual(
            (Framework.objects.count(), Section.objects.count(), Line.objects.count(), Level.objects.count()), counts
        )

    def test_lines_are_stored_in_file_order_within_their_sections(self):
        self.load()
        w3 = Section.objects.get(framework__slug="well-led", code="W3")
        self.assertEqual([line.code for line in w3.lines.order_by("order")], [*WELL_LED_PROMPTS["W3"], "W3.S"])
        self.assertEqual(Line.objects.get(code="W4.5").organisation_types, ["mental-health"])
        self.assertFalse(Line.objects.get(code="W4.5").applies_to("acute"))
        self.assertTrue(Line.objects.get(code="W4.5").applies_to("mental-health"))
        self.assertTrue(Line.objects.get(code="W4.4").applies_to("acute"))
