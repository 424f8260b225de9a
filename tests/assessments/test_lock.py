"""A signed-off assessment is locked below the views: models, querysets, raw SQL and admin."""

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction

from assessments import services, triggers
from assessments.models import (
    Action,
    AgreedScore,
    Answer,
    Assessment,
    AssessmentLocked,
    Evidence,
    Respondent,
    SignOffRecord,
    unlocked,
)
from tests.base import PersonaTestCase
from tests.factories import PDF_BYTES, agree_all, make_assessment, make_framework


class LockedAssessmentTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=2, lines_per_section=2)
        cls.assessment = make_assessment(
            cls.trust,
            secretary=cls.secretary,
            respondents=[cls.executive, cls.non_executive],
            frameworks=[cls.framework],
            status="moderation",
        )
        agree_all(cls.assessment, by=cls.chair, level=2)
        cls.line = cls.framework.lines.get(code="S1.1")
        upload = SimpleUploadedFile("paper.pdf", PDF_BYTES)
        services.add_evidence(
            cls.assessment,
            cls.line,
            services.EvidenceInput("Paper", "board-paper", cls.assessment.deadline, "", upload, "application/pdf"),
            by=cls.secretary,
        )
        services.save_action(
            cls.assessment, services.ActionInput(cls.line, None, "Act", "CEO", None, "open"), by=cls.secretary
        )
        services.sign_off(cls.assessment, by=cls.chair)
        cls.assessment.refresh_from_db()

    def assertLocked(self, change):
        """The change is refused, and leaves the database as it was."""
        with self.assertRaises((AssessmentLocked, DatabaseError)), transaction.atomic():
            change()


class ModelLevelLockTests(LockedAssessmentTestCase):
    def test_answers_cannot_change(self):
        answer = Answer.objects.filter(respondent__assessment=self.assessment).first()
        answer.level = 5
        self.assertLocked(answer.save)
        self.assertLocked(lambda: Answer.objects.filter(pk=answer.pk).update(level=5))
        self.assertLocked(lambda: Answer.objects.filter(pk=answer.pk).delete())
        self.assertEqual(Answer.objects.get(pk=answer.pk).level, 3)

    def test_agreed_scores_evidence_and_actions_cannot_change(self):
        score = AgreedScore.objects.filter(assessment=self.assessment).first()
        score.level = 5
        self.assertLocked(score.save)
        self.assertLocked(lambda: AgreedScore.objects.filter(assessment=self.assessment).update(level=1))
        self.assertLocked(Evidence.objects.get(assessment=self.assessment).delete)
        self.assertLocked(lambda: Action.objects.filter(assessment=self.assessment).update(status="done"))
        self.assertLocked(
            lambda: AgreedScore.objects.create(
                assessment=self.assessment, line=self.line, level=1, updated_by=self.chair
            )
        )
        self.assertEqual(
            set(AgreedScore.objects.filter(assessment=self.assessment).values_list("level", flat=True)), {2}
        )

    def test_respondents_cannot_be_added_or_removed(self):
        newcomer = User.objects.create_user("newcomer")
        self.assertLocked(
            lambda: Respondent.objects.create(
                assessment=self.assessment, user=newcomer, is_executive=True, invited_by=self.secretary
            )
        )
        self.assertLocked(
            lambda: Respondent.objects.filter(assessment=self.assessment).update(removed_at="2026-01-01T00:00Z")
        )

    def test_the_assessment_itself_cannot_change_or_go(self):
        self.assessment.title = "Rewritten"
        self.assertLocked(self.assessment.save)
        self.assertLocked(self.assessment.delete)
        self.assertLocked(lambda: self.assessment.frameworks.add(make_framework()))
        self.assertLocked(lambda: Assessment.objects.filter(pk=self.assessment.pk).update(title="Rewritten"))
        self.assertEqual(Assessment.objects.get(pk=self.assessment.pk).title, "Board self-assessment 2026")

    def test_raw_sql_is_refused_by_the_database(self):
        with self.assertRaises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assessments_agreedscore SET level = 5 WHERE assessment_id = %s", [self.assessment.pk]
            )
        self.assertFalse(AgreedScore.objects.filter(assessment=self.assessment, level=5).exists())

    def test_a_status_change_outside_the_reopen_service_is_refused(self):
        self.assessment.status = Assessment.Status.MODERATION
        self.assertLocked(self.assessment.save)

    def test_a_queryset_or_raw_status_change_is_refused_without_a_reopening_record(self):
        signed_off = Assessment.objects.filter(pk=self.assessment.pk)
        self.assertLocked(lambda: signed_off.update(status=Assessment.Status.MODERATION))
        # Even with the Python check switched off (as the reopen service does), the
        # database refuses: the latest sign-off record says "signed off", not "reopened".
        with unlocked():
            self.assertLocked(lambda: signed_off.update(status=Assessment.Status.MODERATION))
        with connection.cursor() as cursor:
            self.assertLocked(
                lambda: cursor.execute(
                    "UPDATE assessments_assessment SET status = 'moderation' WHERE id = %s", [self.assessment.pk]
                )
            )
        self.assertEqual(Assessment.objects.get(pk=self.assessment.pk).status, Assessment.Status.SIGNED_OFF)
        # Scores therefore stay locked: nothing can be edited and the status put back.
        self.assertLocked(lambda: AgreedScore.objects.filter(assessment=self.assessment).update(level=5))

    def test_an_assessment_is_signed_off_only_with_a_record(self):
        other = make_assessment(
            self.trust, secretary=self.secretary, frameworks=[self.framework], status="draft", year=2027
        )
        with connection.cursor() as cursor:
            self.assertLocked(
                lambda: cursor.execute(
                    "UPDATE assessments_assessment SET status = 'signed_off' WHERE id = %s", [other.pk]
                )
            )
        self.assertLocked(lambda: Assessment.objects.filter(pk=other.pk).update(status=Assessment.Status.SIGNED_OFF))
        self.assertEqual(Assessment.objects.get(pk=other.pk).status, Assessment.Status.DRAFT)

    def test_sign_off_records_are_append_only(self):
        record = SignOffRecord.objects.get(assessment=self.assessment)
        with self.assertRaises(PermissionError):
            record.save()
        with self.assertRaises(PermissionError):
            record.delete()
        with self.assertRaises(PermissionError):
            SignOffRecord.objects.filter(pk=record.pk).update(reason="x")
        with self.assertRaises(PermissionError):
            SignOffRecord.objects.filter(pk=record.pk).delete()


class TriggerInstallationTests(PersonaTestCase):
    """After every migration, every locked table has its triggers (a migration that
    rebuilds a table on SQLite silently drops them: see assessments/triggers.py)."""

    def test_every_locked_table_has_its_triggers(self):
        vendor = connection.vendor
        with connection.cursor() as cursor:
            if vendor == "sqlite":
                cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            else:
                cursor.execute(
                    "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal"
                )
            found: dict[str, set[str]] = {}
            for table, name in cursor.fetchall():
                found.setdefault(table, set()).add(name)
        expected = triggers.expected_triggers(vendor)
        self.assertEqual(len(expected), 7)
        for table, names in expected.items():
            with self.subTest(table=table):
                self.assertLessEqual(names, found.get(table, set()), f"{table} lacks lock triggers")


class ServiceLevelLockTests(LockedAssessmentTestCase):
    def test_services_refuse_with_a_clear_message(self):
        answer = (
            Answer.objects.filter(respondent__assessment=self.assessment)
            .select_related("respondent__assessment", "line__framework")
            .first()
        )
        refusals = [
            lambda: services.save_answer(
                answer, services.AnswerInput(4, False, None, "", answer.version), by=answer.respondent.user
            ),
            lambda: services.record_agreed_score(
                self.assessment, self.line, services.AgreedInput(4, False, "", None, None, "", 1), by=self.chair
            ),
            lambda: services.save_action(
                self.assessment, services.ActionInput(self.line, None, "More", "CEO", None, "open"), by=self.secretary
            ),
            lambda: services.remove_evidence(Evidence.objects.get(assessment=self.assessment), by=self.secretary),
            lambda: services.invite_respondents(self.assessment, [], by=self.secretary),
            lambda: services.sign_off(self.assessment, by=self.chair),
        ]
        for refuse in refusals:
            with (
                self.subTest(refuse=refuse),
                self.assertRaisesMessage(services.AssessmentError, "signed off and locked"),
            ):
                refuse()

    def test_views_refuse_and_change_nothing(self):
        self.client.force_login(self.chair)
        before = list(AgreedScore.objects.filter(assessment=self.assessment).values_list("level", flat=True))
        response = self.client.post(
            "/organisations/RA1/assessments/2026/moderate/line/S1.1/",
            {"S1.1-level": "5", "S1.1-version": "1"},
        )
        self.assertContains(response, "signed off and locked", status_code=400)
        self.assertEqual(
            list(AgreedScore.objects.filter(assessment=self.assessment).values_list("level", flat=True)), before
        )

    def test_only_staff_reopen_and_only_with_a_reason(self):
        with self.assertRaisesMessage(services.AssessmentError, "Only an administrator"):
            services.reopen_assessment(self.assessment, by=self.chair, reason="Typo")
        with self.assertRaisesMessage(services.AssessmentError, "Give the reason"):
            services.reopen_assessment(self.assessment, by=self.staff, reason="  ")
        services.reopen_assessment(self.assessment, by=self.staff, reason="Evidence for S1.1 was the wrong paper.")
        self.assessment.refresh_from_db()
        self.assertEqual(self.assessment.status, Assessment.Status.MODERATION)
        # Each sign-off and reopening is its own record; reopening erases nothing.
        services.sign_off(self.assessment, by=self.chair)
        self.assertEqual(
            list(self.assessment.sign_off_records.values_list("sequence", "kind", "by__username", "reason")),
            [
                (1, "signed_off", "chair", ""),
                (2, "reopened", "staff", "Evidence for S1.1 was the wrong paper."),
                (3, "signed_off", "chair", ""),
            ],
        )
        self.assessment.refresh_from_db()
        self.assertEqual(self.assessment.latest_sign_off().sequence, 3)
        self.assertEqual(self.assessment.signed_off_at, self.assessment.latest_sign_off().at)
        entry = self.assessment.history.filter(action="status changed", actor=self.staff).last()
        self.assertEqual(entry.actor, self.staff)
        self.assertEqual(entry.note, "Evidence for S1.1 was the wrong paper.")
        self.assertEqual(entry.changes["status"], ["Signed off", "Moderation"])

    def test_the_admin_shows_but_cannot_change_and_reopens_with_a_reason(self):
        self.client.force_login(self.staff)
        url = f"/admin/assessments/assessment/{self.assessment.pk}/change/"
        response = self.client.get(url)
        self.assertContains(response, "Reopen with a reason")
        self.assertNotContains(response, 'name="title"')
        self.assertEqual(self.client.post(url, {"title": "Changed"}).status_code, 403)
        self.assertEqual(self.client.get("/admin/assessments/answer/").status_code, 404)  # scores are not in the admin

        reopen = f"/admin/assessments/assessment/{self.assessment.pk}/reopen/"
        self.assertContains(self.client.post(reopen, {"reason": ""}), "This field is required")
        self.assertRedirects(self.client.post(reopen, {"reason": "Wrong evidence attached."}), url)
        self.assessment.refresh_from_db()
        self.assertEqual(self.assessment.status, Assessment.Status.MODERATION)
