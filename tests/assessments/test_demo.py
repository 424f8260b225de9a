"""The demo's assessments sit on the framework versions of their year: last year's on
the versions version 2 replaced, this year's on the current ones, so the year-on-year
view shows what changed."""

from io import StringIO

from django.core.management import call_command
from django.test import TestCase, override_settings

from assessments.models import Assessment
from assessments.selectors import previous_scores


@override_settings(DEBUG=True)
class DemoFrameworkVersionsTests(TestCase):
    def test_last_year_is_on_the_superseded_versions_and_this_year_on_the_current_ones(self):
        call_command("seed_demo", stdout=StringIO())
        current = Assessment.objects.get(organisation__ods_code="RR8", status="open")
        versions = lambda a: sorted(a.frameworks.values_list("slug", "version", "status"))  # noqa: E731
        self.assertEqual(
            versions(current), [("well-led", "2017.2", "current"), ("whole-system-working", "2", "current")]
        )
        self.assertEqual(
            versions(current.previous),
            [("well-led", "2017", "superseded"), ("whole-system-working", "1", "superseded")],
        )
        for other in Assessment.objects.filter(status="signed_off"):
            self.assertEqual({status for _, _, status in versions(other)}, {"superseded"})

        lines = current.included_lines()
        previous = previous_scores(current, lines)
        self.assertEqual(len(previous), len(lines))  # every line matched by code
        changed = sorted(line.code for line in lines if previous[line.pk].changed_from)
        self.assertEqual(
            changed,
            sorted(
                ["P1.1", "P1.3", "P3.1", "P3.3", "P4.3", "P6.2", "P6.3", "P7.1", "P7.3", "P8.1", "P8.3"]
                + ["W1.S", "W3.S", "W4.S", "W5.S", "W6.S", "W7.S", "W8.S"]
            ),
        )
