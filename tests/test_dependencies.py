"""Which part of the project may depend on which.

- The apps depend one way: assessments builds on organisations, never the reverse. The
  organisations app's code and templates do not import, name or link to assessments;
  the project composes pages across apps (`templates/includes/organisation_links.html`)
  and the demo data is seeded by assessments' `seed_demo`.
- `make run` serves the app without importing WeasyPrint, whose system libraries
  (Pango, HarfBuzz) a new machine may lack; only PDF rendering may import it.
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

BASE_DIR = Path(settings.BASE_DIR)
FORBIDDEN_APP = "assessments"
# A string that is a dotted path, app label, URL name or template path of the app:
# "assessments", "assessments.models", "assessments.Assessment", "assessments:list",
# "assessments/assessment_detail.html". Prose such as "its assessments." is not one.
NAMED_IN_STRING = re.compile(rf"^{FORBIDDEN_APP}(?:$|[.:/])")
# In a template: {% url 'assessments:list' %}, {% include "assessments/x.html" %}, and
# reverse relations such as {{ organisation.assessments.count }}.
NAMED_IN_TEMPLATE = re.compile(rf"""["']{FORBIDDEN_APP}[.:/]|\.assessment(?:s\b|_|\b)""")
# Reverse relations in code: organisation.assessments, membership.assessment_set, …
NAMED_AS_ATTRIBUTE = re.compile(r"^assessment(?:s$|_|$)")


def python_references(source: str, filename: str = "<source>") -> list[str]:
    """Each import of the app, string naming it or reverse relation to it, as "line N: what"."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Attribute):
            if NAMED_AS_ATTRIBUTE.match(node.attr):
                found.append(f"line {node.lineno}: .{node.attr}")
            continue
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if NAMED_IN_STRING.match(node.value):
                found.append(f"line {node.lineno}: {node.value!r}")
            continue
        else:
            continue
        found += [f"line {node.lineno}: import {name}" for name in names if name.split(".")[0] == FORBIDDEN_APP]
    return found


def template_references(text: str) -> list[str]:
    return [
        f"line {number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if NAMED_IN_TEMPLATE.search(line)
    ]


class OrganisationsDoesNotDependOnAssessmentsTests(SimpleTestCase):
    def test_it_finds_no_reference_in_the_organisations_app(self):
        files = [p for p in (BASE_DIR / "organisations").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        self.assertGreater(len(files), 10)
        problems = {}
        for path in files:
            if path.suffix == ".py":
                found = python_references(path.read_text(), str(path))
            else:
                found = template_references(path.read_text(errors="replace"))
            if found:
                problems[str(path.relative_to(BASE_DIR))] = found
        self.assertEqual(problems, {}, "organisations must not import or name the assessments app")

    def test_it_finds_no_reference_in_the_organisations_templates(self):
        files = sorted((BASE_DIR / "templates" / "organisations").rglob("*.html"))
        self.assertGreater(len(files), 3)
        problems = {
            str(path.relative_to(BASE_DIR)): found for path in files if (found := template_references(path.read_text()))
        }
        self.assertEqual(problems, {}, "organisations templates must not name the assessments app")

    def test_the_checks_catch_what_they_are_meant_to(self):
        source = """
import assessments
import assessments.demo as demo
from assessments.models import Assessment
from django.apps import apps

apps.get_model("assessments", "Assessment")
reverse("assessments:list")
models.ForeignKey("assessments.Assessment", on_delete=models.CASCADE)
"""
        self.assertEqual(len(python_references(source)), 6)
        self.assertEqual(len(python_references("organisation.assessments.count()\nx.assessment_set.all()")), 2)
        harmless = '"""An organisation that has closed still owns its past assessments."""\nimport organisations\n'
        self.assertEqual(python_references(harmless), [])
        templates = [
            "{% url 'assessments:list' organisation.ods_code %}",
            '{% include "assessments/assessment_detail.html#score-row" %}',
            "{{ organisation.assessments.count }}",
        ]
        for line in templates:
            with self.subTest(line=line):
                self.assertEqual(len(template_references(line)), 1)
        for line in ["<p>You run this organisation's self-assessments.</p>", "You sign off the assessment."]:
            self.assertEqual(template_references(line), [])


class ServingNeedsNoWeasyPrintTests(SimpleTestCase):
    def test_the_url_conf_views_and_make_run_commands_do_not_import_weasyprint(self):
        # In a fresh interpreter: this test process may have imported WeasyPrint already.
        script = """
import io
import sys

import django
from django.core.management import call_command, get_commands, load_command_class
from django.urls import get_resolver

django.setup()
call_command("check", stdout=io.StringIO())
get_resolver().url_patterns  # the URLconf, and so every view
for name in ["migrate", "load_frameworks", "load_organisations", "seed_demo", "runserver"]:  # make run's
    load_command_class(get_commands()[name], name)
print(sorted(m for m in sys.modules if m.split(".")[0] in {"weasyprint", "pydyf"}))
"""
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ics_governance.settings", "DEBUG": "1"}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "[]", "a module imported at start-up imports WeasyPrint")


class MakeRunTests(SimpleTestCase):
    def test_make_run_serves_on_the_port_given_and_the_readme_says_so(self):
        result = subprocess.run(
            ["make", "-n", "run", "PORT=8123", "HOST=127.0.0.1"], cwd=BASE_DIR, capture_output=True, text=True
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("manage.py runserver 127.0.0.1:8123", result.stdout)
        self.assertIn("make run PORT=8123", (BASE_DIR / "README.md").read_text())

    def test_no_runtime_package_needs_a_compiler_or_libpq_dev(self):
        # psycopg2 builds from source where there is no wheel (it needs gcc and
        # libpq-dev); psycopg 3's binary extra bundles libpq in its wheel.
        pins = [
            line.split("#")[0].strip()
            for line in (BASE_DIR / "requirements.txt").read_text().splitlines()
            if line.split("#")[0].strip()
        ]
        self.assertFalse([pin for pin in pins if pin.lower().startswith("psycopg2")])
        self.assertTrue([pin for pin in pins if pin.lower().startswith("psycopg[binary]==")])
