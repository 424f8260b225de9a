"""`manage.py seed_demo` (assessments' command): demo people for every role, on real
reference data (`organisations.demo`), and demo assessments (`assessments.demo`)."""

from io import StringIO

from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings

from organisations import demo
from organisations.models import ConsultantAssignment, Membership

USERNAMES = [
    "secretary",
    "chair",
    "director1",
    "director2",
    "director3",
    "director4",
    "director5",
    "observer",
    "consultant",
    "consultant-elsewhere",
    "outsider",
    "admin",
]


@override_settings(DEBUG=True)
class SeedDemoTests(TestCase):
    def seed(self, *args: str) -> str:
        out = StringIO()
        call_command("seed_demo", *args, stdout=out)
        return out.getvalue()

    def test_it_creates_every_persona_and_prints_the_logins(self):
        out = self.seed()
        # The personas one signs in as, and the boards of the other West Yorkshire trusts
        # (who cannot sign in: they stand for boards the demo does not act as).
        usernames = User.objects.values_list("username", flat=True)
        self.assertEqual(sorted(u for u in usernames if not u.startswith("demo-")), sorted(USERNAMES))
        others = User.objects.filter(username__startswith="demo-")
        self.assertEqual(others.count(), 9 * 7)  # nine trusts, a chair and six directors each
        self.assertFalse(any(user.has_usable_password() for user in others))
        for username in USERNAMES:
            self.assertIn(username, out)
        self.assertIn("Password for every demo account: demo-board-2026", out)
        self.assertTrue(User.objects.get(username="director1").check_password("demo-board-2026"))

        trust = Membership.objects.filter(organisation__ods_code="RR8")
        self.assertEqual(trust.filter(role="director", director_kind="executive").count(), 3)
        self.assertEqual(trust.filter(role="director", director_kind="non-executive").count(), 2)
        self.assertEqual(set(trust.values_list("role", flat=True)), {"secretary", "chair", "director", "observer"})
        self.assertEqual(ConsultantAssignment.objects.get(user__username="consultant").ics.ods_code, "QWO")
        self.assertEqual(ConsultantAssignment.objects.get(user__username="consultant-elsewhere").ics.ods_code, "QF7")
        outsider = Membership.objects.get(user__username="outsider")
        self.assertNotEqual(outsider.organisation.ics_memberships.get().ics.ods_code, "QWO")
        self.assertTrue(User.objects.get(username="admin").is_staff)

    def test_it_adds_an_assessment_in_progress_and_last_years_results(self):
        from assessments.models import Assessment

        self.seed()
        current = Assessment.objects.get(organisation__ods_code="RR8", status="open")
        progress = {
            r.user.username: (
                r.submitted_at is not None,
                r.answers.filter(level__isnull=False).count() + r.answers.filter(dont_know=True).count(),
                r.answers.count(),
            )
            for r in current.respondents.select_related("user")
        }
        total = progress["director1"][2]
        self.assertEqual(total, 78)  # both frameworks, without W4.5 (an acute trust)
        self.assertEqual(
            [u for u, (submitted, _, _) in progress.items() if submitted], ["director1", "director2", "director4"]
        )
        self.assertEqual(progress["director3"][1], total // 2)
        self.assertEqual(progress["director5"][1], 0)
        last_year = current.previous
        self.assertEqual(last_year.status, "signed_off")
        self.assertEqual(last_year.agreed_scores.count(), 78)
        self.assertEqual(current.actions.filter(carried_from__isnull=False).count(), 3)
        # Every West Yorkshire trust's last two years (the ambulance trust's last year only),
        # so that the consultant's comparison is full and shows movement.
        self.assertEqual(Assessment.objects.filter(status="signed_off").count(), 2 + 9 * 2 - 1)
        from reporting.models import SectionFigure

        self.assertEqual(SectionFigure.objects.filter(period_start_year=last_year.period_start_year).count(), 10 * 16)
        self.assertEqual(last_year.previous.period_start_year, last_year.period_start_year - 1)

    def test_it_is_idempotent(self):
        self.seed()
        counts = (User.objects.count(), Membership.objects.count(), ConsultantAssignment.objects.count())
        self.seed()
        self.assertEqual(
            (User.objects.count(), Membership.objects.count(), ConsultantAssignment.objects.count()), counts
        )

    def test_it_uses_demo_password_from_the_environment(self):
        import os
        from unittest import mock

        with mock.patch.dict(os.environ, {"DEMO_PASSWORD": "another-demo-pass"}):
            out = self.seed()
        self.assertIn("another-demo-pass", out)
        self.assertTrue(User.objects.get(username="chair").check_password("another-demo-pass"))

    def test_if_new_leaves_an_existing_database_alone(self):
        User.objects.create_user("someone-real")
        out = self.seed("--if-new")
        self.assertIn("no demo accounts were added", out)
        self.assertEqual(User.objects.count(), 1)

    @override_settings(DEBUG=False)
    def test_it_refuses_without_debug(self):
        with self.assertRaisesMessage(CommandError, "runs only with DEBUG on"):
            self.seed()
        self.assertEqual(User.objects.count(), 0)

    def test_it_is_the_only_seed_demo_command(self):
        from django.core.management import get_commands

        self.assertEqual(get_commands()["seed_demo"], "assessments")

    def test_if_new_prints_the_logins_again_on_a_demo_database(self):
        self.seed()
        out = self.seed("--if-new")
        self.assertIn("Password for every demo account: demo-board-2026", out)
        self.assertNotIn("no demo accounts were added", out)


class DemoPeopleTests(TestCase):
    """`organisations.demo` on its own: the people, with no assessments involved."""

    def test_it_seeds_the_people_without_the_assessments(self):
        call_command("load_organisations", stdout=StringIO())
        demo.seed_people("a-password-for-tests")
        self.assertEqual(sorted(User.objects.values_list("username", flat=True)), sorted(USERNAMES))
        self.assertTrue(demo.accounts_exist())
        chair = Membership.objects.get(user__username="chair")
        self.assertEqual((chair.organisation.ods_code, chair.role), ("RR8", "chair"))
        lines = demo.login_lines("a-password-for-tests")
        self.assertIn("Leeds Teaching Hospitals NHS Trust", lines[0])
        self.assertEqual(lines[-1], "Password for every demo account: a-password-for-tests")
