"""`manage.py load_frameworks`: bad files are refused whole, good files load idempotently."""

import tempfile
import textwrap
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import TestCase

from frameworks.models import Framework, Level, Line, LineLevelDescriptor, Scale, Section

SCALE = """\
kind: scale
slug: test-scale
name: Test scale
levels:
  - number: 1
    name: Low
    descriptor: Low descriptor.
  - number: 2
    name: Middle
    descriptor: Middle descriptor.
  - number: 3
    name: High
    descriptor: High descriptor.
version: "1"
"""

FRAMEWORK = """\
kind: framework
slug: test-framework
version: "1"
title: Test framework
publisher: Test publisher
source_url: https://example.org/framework
licence: Open Government Licence v3.0
attribution: Contains public sector information.
status: current
effective_date: 2024-04-01
scale: test-scale
sections:
  - code: A
    title: Section A
    question: Is A good?
    guidance: What good looks like for A.
  - code: B
    title: Section B
    question: Is B good?
lines:
  - code: A.1
    section: A
    text: First line of A.
    level_descriptors:
      1: A.1 at its lowest.
      3: A.1 at its best.
  - code: A.2
    section: A
    text: Second line of A.
    organisation_types: [mental-health]
  - code: B.1
    section: B
    text: First line of B.
    tags: [system-working]
scale_version: "1"
"""


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Scale, Level, Framework, Section, Line, LineLevelDescriptor))


class LoaderTestCase(TestCase):
    def setUp(self):
        self.tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))

    def write(self, name: str, text: str) -> Path:
        path = self.tmp / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def load(self, *paths: Path, dry_run: bool = False) -> str:
        out = StringIO()
        args = [str(p) for p in paths] + (["--dry-run"] if dry_run else [])
        call_command("load_frameworks", *args, stdout=out)
        return out.getvalue()

    def load_good(self) -> tuple[Path, Path]:
        scale, framework = self.write("scale.yaml", SCALE), self.write("framework.yaml", FRAMEWORK)
        self.load(scale, framework)
        return scale, framework

    def assertRefused(self, *paths: Path, expect: list[str]) -> str:
        """The load fails, names the file and every expected problem, and writes nothing."""
        before = _counts()
        with self.assertRaises(CommandError) as ctx:
            self.load(*paths)
        message = str(ctx.exception)
        self.assertIn("nothing was loaded", message)
        for fragment in expect:
            self.assertIn(fragment, message)
        self.assertEqual(_counts(), before, "a refused load must not change the database")
        return message


class GoodFilesTests(LoaderTestCase):
    def test_it_loads_a_scale_and_a_framework(self):
        self.load_good()
        framework = Framework.objects.get(slug="test-framework", version="1")
        self.assertEqual(framework.scale.slug, "test-scale")
        self.assertEqual(list(framework.sections.values_list("code", flat=True)), ["A", "B"])
        self.assertEqual(list(framework.lines.values_list("code", flat=True)), ["A.1", "A.2", "B.1"])
        line = framework.lines.get(code="A.1")
        self.assertEqual(
            [(d.level.number, d.text) for d in line.level_descriptors.all()],
            [(1, "A.1 at its lowest."), (3, "A.1 at its best.")],
        )
        self.assertEqual(framework.lines.get(code="A.2").organisation_types, ["mental-health"])
        self.assertEqual(framework.lines.get(code="B.1").tags, ["system-working"])
        self.assertEqual(framework.source_file, str(self.tmp / "framework.yaml"))

    def test_a_second_run_changes_nothing_and_says_so(self):
        scale, framework = self.load_good()
        before = _counts()
        ids = list(Line.objects.order_by("code").values_list("pk", flat=True))
        out = self.load(scale, framework)
        self.assertIn("No changes", out)
        self.assertIn("unchanged", out)
        self.assertEqual(_counts(), before)
        self.assertEqual(list(Line.objects.order_by("code").values_list("pk", flat=True)), ids)

    def test_a_folder_loads_every_yaml_file_in_it(self):
        self.write("scale.yaml", SCALE)
        self.write("framework.yaml", FRAMEWORK)
        self.load(self.tmp)
        self.assertEqual(Framework.objects.count(), 1)

    def test_dry_run_reports_and_writes_nothing(self):
        out = self.load(self.write("scale.yaml", SCALE), self.write("framework.yaml", FRAMEWORK), dry_run=True)
        self.assertIn("Dry run", out)
        self.assertIn("nothing was written", out)
        self.assertEqual(_counts(), (0, 0, 0, 0, 0, 0))

    def test_a_changed_file_updates_in_place_keeping_row_ids(self):
        scale, _ = self.load_good()
        a1 = Line.objects.get(code="A.1")
        changed = FRAMEWORK.replace("First line of A.", "First line of A, reworded.").replace(
            "  - code: B.1\n    section: B\n    text: First line of B.\n    tags: [system-working]\n",
            "  - code: B.2\n    section: B\n    text: Replacement line of B.\n",
        )
        out = self.load(scale, self.write("framework.yaml", changed))
        self.assertIn("updated", out)
        a1.refresh_from_db()
        self.assertEqual(a1.text, "First line of A, reworded.")
        self.assertEqual(list(Line.objects.order_by("code").values_list("code", flat=True)), ["A.1", "A.2", "B.2"])

    def test_a_framework_in_use_cannot_change(self):
        scale, _ = self.load_good()
        Framework.objects.get(slug="test-framework").mark_in_use()
        changed = self.write("framework.yaml", FRAMEWORK.replace("First line of A.", "Quietly reworded."))
        self.assertRefused(
            scale,
            changed,
            expect=[
                "framework.yaml, line 3",
                "test-framework 1 is used by assessments",
                "Publish the change as a new version",
            ],
        )
        self.assertEqual(Line.objects.get(code="A.1").text, "First line of A.")

    def test_a_framework_in_use_can_still_be_superseded_and_reloaded_unchanged(self):
        scale, framework = self.load_good()
        Framework.objects.get(slug="test-framework").mark_in_use()
        self.assertIn("No changes", self.load(scale, framework))
        superseded = self.write("framework.yaml", FRAMEWORK.replace("status: current", "status: superseded"))
        self.load(scale, superseded)
        self.assertEqual(Framework.objects.get(slug="test-framework").status, "superseded")

    def test_a_new_version_can_be_published_beside_an_old_one(self):
        scale, _ = self.load_good()
        Framework.objects.get(slug="test-framework").mark_in_use()
        old = self.write("framework.yaml", FRAMEWORK.replace("status: current", "status: superseded"))
        new = self.write(
            "framework-2.yaml",
            FRAMEWORK.replace('\nversion: "1"', '\nversion: "2"').replace("First line of A.", "Better first line."),
        )
        self.load(scale, old, new)
        self.assertEqual(
            list(Framework.objects.order_by("version").values_list("version", "status")),
            [("1", "superseded"), ("2", "current")],
        )
        self.assertEqual(Line.objects.get(framework__version="1", code="A.1").text, "First line of A.")

    def test_a_scale_used_by_a_framework_in_use_cannot_change(self):
        _, framework = self.load_good()
        Framework.objects.get(slug="test-framework").mark_in_use()
        scale = self.write("scale.yaml", SCALE.replace("High descriptor.", "Redefined."))
        self.assertRefused(scale, framework, expect=["scale.yaml, line 14", "cannot change", "Publish a new file"])

    def test_a_new_scale_version_is_published_beside_the_one_in_use(self):
        scale, _ = self.load_good()
        Framework.objects.get(slug="test-framework").mark_in_use()
        scale_2 = self.write(
            "scale-2.yaml", SCALE.replace('version: "1"', 'version: "2"').replace("High descriptor.", "Redefined.")
        )
        framework_2 = self.write(
            "framework-2.yaml",
            FRAMEWORK.replace('\nversion: "1"', '\nversion: "2"').replace('scale_version: "1"', 'scale_version: "2"'),
        )
        old = self.write("framework.yaml", FRAMEWORK.replace("status: current", "status: superseded"))
        self.load(scale, scale_2, old, framework_2)
        self.assertEqual(
            list(Level.objects.filter(number=3).order_by("scale__version").values_list("descriptor", flat=True)),
            ["High descriptor.", "Redefined."],
        )
        self.assertEqual(Framework.objects.get(version="1").scale.version, "1")
        self.assertEqual(Framework.objects.get(version="2").scale.version, "2")

    def test_section_sources_and_changed_from_notes_are_stored(self):
        framework = FRAMEWORK.replace(
            "    guidance: What good looks like for A.\n",
            "    guidance: What good looks like for A.\n"
            "    source_url: https://example.org/section-a\n"
            "    source_note: Recalled, to verify.\n",
        ).replace(
            "    text: Second line of A.\n", "    text: Second line of A.\n    changed_from: It asked two things.\n"
        )
        self.load(self.write("scale.yaml", SCALE), self.write("framework.yaml", framework))
        section = Section.objects.get(code="A")
        self.assertEqual(
            (section.source_url, section.source_note), ("https://example.org/section-a", "Recalled, to verify.")
        )
        self.assertEqual(Line.objects.get(code="A.2").changed_from, "It asked two things.")
        self.assertEqual(Line.objects.get(code="A.1").changed_from, "")


class BadFilesTests(LoaderTestCase):
    def test_broken_yaml(self):
        scale = self.write("scale.yaml", SCALE)
        broken = self.write("framework.yaml", FRAMEWORK.replace("title: Test framework", "title: [unclosed"))
        self.assertRefused(scale, broken, expect=["framework.yaml, line", "is not valid YAML"])

    def test_a_file_that_is_not_a_mapping(self):
        self.assertRefused(
            self.write("list.yaml", "- just\n- a list\n"),
            expect=["list.yaml, line 1", "expected a set of named fields"],
        )

    def test_an_unknown_kind(self):
        self.assertRefused(
            self.write("odd.yaml", "kind: checklist\n"),
            expect=["odd.yaml, line 1", '"kind" must be "scale" or "framework"'],
        )

    def test_a_missing_field(self):
        scale = self.write("scale.yaml", SCALE)
        missing = self.write("framework.yaml", FRAMEWORK.replace("    text: Second line of A.\n", ""))
        self.assertRefused(scale, missing, expect=["framework.yaml, line 27 (line A.2)", '"text" is missing'])

    def test_an_empty_field(self):
        scale = self.write("scale.yaml", SCALE)
        empty = self.write("framework.yaml", FRAMEWORK.replace("title: Test framework", 'title: ""'))
        self.assertRefused(scale, empty, expect=["framework.yaml, line 4 (framework)", '"title" is empty'])

    def test_a_misspelt_field(self):
        scale = self.write("scale.yaml", SCALE)
        typo = self.write("framework.yaml", FRAMEWORK.replace("    guidance: What good", "    guidence: What good"))
        self.assertRefused(
            scale, typo, expect=["framework.yaml, line 16 (section A)", '"guidence" is not a known field']
        )

    def test_a_field_given_twice(self):
        scale = self.write("scale.yaml", SCALE)
        twice = self.write("framework.yaml", FRAMEWORK.replace("title: Test framework\n", "title: One\ntitle: Two\n"))
        self.assertRefused(scale, twice, expect=["framework.yaml, line 5", '"title" is given twice'])

    def test_a_duplicate_line_code(self):
        scale = self.write("scale.yaml", SCALE)
        duplicate = self.write("framework.yaml", FRAMEWORK.replace("code: A.2", "code: A.1"))
        self.assertRefused(
            scale, duplicate, expect=["framework.yaml, line 27 (line A.1)", 'the line code "A.1" is used twice']
        )

    def test_a_duplicate_section_code(self):
        scale = self.write("scale.yaml", SCALE)
        duplicate = self.write("framework.yaml", FRAMEWORK.replace("  - code: B\n", "  - code: A\n"))
        self.assertRefused(scale, duplicate, expect=['the section code "A" is used twice'])

    def test_a_line_pointing_at_an_unknown_section(self):
        scale = self.write("scale.yaml", SCALE)
        unknown = self.write("framework.yaml", FRAMEWORK.replace("    section: B\n", "    section: C\n"))
        self.assertRefused(
            scale,
            unknown,
            expect=['framework.yaml, line 32 (line B.1): "section" points at "C"', "(sections: A, B)"],
        )

    def test_a_level_descriptor_out_of_range(self):
        scale = self.write("scale.yaml", SCALE)
        out_of_range = self.write(
            "framework.yaml", FRAMEWORK.replace("      3: A.1 at its best.", "      7: Too high.")
        )
        self.assertRefused(
            scale,
            out_of_range,
            expect=["framework.yaml, line 24 (line A.1)", "level 7 is out of range", "levels 1 to 3"],
        )

    def test_scale_levels_out_of_order_or_missing(self):
        gap = self.write("scale.yaml", SCALE.replace("number: 2", "number: 4"))
        self.assertRefused(
            gap, expect=["scale.yaml, line 8 (level 2)", "numbered 1, 2, 3", "level 2 in the list is numbered 4"]
        )

    def test_a_level_number_that_is_not_a_number(self):
        bad = self.write("scale.yaml", SCALE.replace("number: 3", "number: three"))
        self.assertRefused(bad, expect=["scale.yaml, line 11 (level 3)", '"number" must be a whole number'])

    def test_an_over_long_text(self):
        scale = self.write("scale.yaml", SCALE)
        long_text = "x" * 1001
        too_long = self.write("framework.yaml", FRAMEWORK.replace("text: First line of B.", f"text: {long_text}"))
        self.assertRefused(
            scale,
            too_long,
            expect=["framework.yaml, line 33 (line B.1)", '"text" is 1,001 characters long; the most allowed is 1,000'],
        )

    def test_an_unknown_organisation_type(self):
        scale = self.write("scale.yaml", SCALE)
        unknown = self.write("framework.yaml", FRAMEWORK.replace("[mental-health]", "[mental-hospital]"))
        self.assertRefused(
            scale,
            unknown,
            expect=['framework.yaml, line 30 (line A.2): "mental-hospital" is not a known organisation type'],
        )

    def test_an_unknown_tag(self):
        scale = self.write("scale.yaml", SCALE)
        unknown = self.write("framework.yaml", FRAMEWORK.replace("[system-working]", "[systems]"))
        self.assertRefused(scale, unknown, expect=['"systems" is not a known tag'])

    def test_a_scale_without_a_version_and_a_framework_without_a_scale_version(self):
        scale = self.write("scale.yaml", SCALE.replace('version: "1"\n', ""))
        framework = self.write("framework.yaml", FRAMEWORK.replace('scale_version: "1"\n', ""))
        self.assertRefused(
            scale,
            framework,
            expect=[
                'scale.yaml, line 1 (scale): "version" is missing',
                'framework.yaml, line 1 (framework): "scale_version" is missing',
            ],
        )

    def test_a_section_source_that_is_not_a_web_address(self):
        scale = self.write("scale.yaml", SCALE)
        bad = self.write(
            "framework.yaml",
            FRAMEWORK.replace("    question: Is B good?\n", "    question: Is B good?\n    source_url: cqc page\n"),
        )
        self.assertRefused(scale, bad, expect=['(section B): "source_url" is not a web address: "cqc page"'])

    def test_an_unknown_scale(self):
        unknown = self.write("framework.yaml", FRAMEWORK)
        self.assertRefused(
            unknown,
            expect=['framework.yaml, line 11 (framework): "scale" and "scale_version" point at test-scale version 1'],
        )

    def test_an_impossible_date_and_an_unknown_status(self):
        scale = self.write("scale.yaml", SCALE)
        bad = self.write(
            "framework.yaml", FRAMEWORK.replace("2024-04-01", "2024-13-01").replace("status: current", "status: live")
        )
        self.assertRefused(
            scale,
            bad,
            expect=[
                'line 9 (framework): "status" must be one of draft, current, superseded, not "live"',
                'line 10 (framework): "effective_date" must be a real date like 2017-06-01, not "2024-13-01"',
            ],
        )

    def test_two_current_versions(self):
        scale, _ = self.load_good()
        second = self.write("framework-2.yaml", FRAMEWORK.replace('\nversion: "1"', '\nversion: "2"'))
        self.assertRefused(
            scale, second, expect=['only one version of "test-framework" can be current', "1 (already loaded)"]
        )

    def test_every_problem_is_reported_at_once(self):
        scale = self.write("scale.yaml", SCALE)
        many = self.write(
            "framework.yaml",
            FRAMEWORK.replace("[mental-health]", "[nowhere]")
            .replace("    section: B\n", "    section: Z\n")
            .replace("code: A.2", "code: A.1"),
        )
        message = self.assertRefused(
            scale, many, expect=['"nowhere" is not a known organisation type', 'points at "Z"', '"A.1" is used twice']
        )
        self.assertIn("4 problems found", message)  # the fourth: section B is left with no lines

    def test_one_bad_file_stops_the_good_ones_too(self):
        scale = self.write("scale.yaml", SCALE)
        good = self.write("framework.yaml", FRAMEWORK)
        bad = self.write(
            "other.yaml", FRAMEWORK.replace("test-framework", "other-framework").replace("section: B", "section: Q")
        )
        self.assertRefused(scale, good, bad, expect=["other.yaml"])
        self.assertFalse(Framework.objects.filter(slug="test-framework").exists())

    def test_a_missing_path(self):
        with self.assertRaisesMessage(CommandError, "does not exist"):
            self.load(self.tmp / "nope.yaml")
