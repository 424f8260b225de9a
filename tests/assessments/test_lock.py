"""A signed-off assessment is locked below the views: models, querysets, raw SQL and admin."""

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction

from assessments import services
from assessments.models import Action, AgreedScore, Answer, Assessment, AssessmentLocked, Evidence, Respondent
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
            follow=True,
        )
        self.assertContains(response, "signed off and locked")
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
        entry = self.assessment.history.filter(action="status changed").last()
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
