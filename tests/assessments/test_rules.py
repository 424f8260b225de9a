"""Rules every service checks itself (role, status read in the same statement as the
write), and the rules kept in one place (lines included, last year's scores by code,
evidence expected)."""

import datetime

from django.utils import timezone

from assessments import services
from assessments.models import AgreedScore, Answer, Assessment, HistoryEntry, Respondent
from assessments.selectors import previous_scores
from frameworks.models import Framework
from ics_governance.lib.nhs import OrganisationType
from organisations.models import Membership
from tests.base import PersonaTestCase
from tests.factories import PDF_BYTES, agree_all, answer_all, make_assessment, make_framework


def snapshot():
    from assessments.models import Action, Evidence, SignOffRecord

    return [
        list(model.objects.order_by("pk").values())
        for model in (Assessment, Respondent, Answer, AgreedScore, Evidence, Action, HistoryEntry, SignOffRecord)
    ]


class ServicesCheckTheRoleThemselvesTests(PersonaTestCase):
    """Called directly, bypassing every view, each service refuses the wrong person and
    changes nothing."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=1, lines_per_section=2)
        cls.line = cls.framework.lines.get(code="S1.1")

    def assessment(self, status: str) -> Assessment:
        return make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive, self.non_executive],
            frameworks=[self.framework],
            status=status,
        )

    def assertRefused(self, call):
        before = snapshot()
        with self.assertRaisesMessage(services.AssessmentError, "does not allow you to"):
            call()
        self.assertEqual(snapshot(), before)

    def test_set_up_services(self):
        draft = self.assessment("draft")
        details = services.AssessmentDetails("T", 2027, draft.deadline, True, [self.framework])
        membership = Membership.objects.get(user=self.non_executive)
        services.remove_respondent(Respondent.objects.get(user=self.non_executive), by=self.secretary)
        for wrong in (self.chair, self.executive, self.observer, self.outsider):
            with self.subTest(user=wrong.username):
                self.assertRefused(lambda u=wrong: services.create_assessment(self.trust, details, by=u))
                self.assertRefused(
                    lambda u=wrong: services.update_assessment(
                        draft,
                        services.AssessmentDetails("New", 2026, draft.deadline, True, [self.framework]),
                        by=u,
                    )
                )
                self.assertRefused(lambda u=wrong: services.invite_respondents(draft, [membership], by=u))
                self.assertRefused(
                    lambda u=wrong: services.remove_respondent(Respondent.objects.get(user=self.executive), by=u)
                )
                self.assertRefused(lambda u=wrong: services.open_assessment(draft, by=u))

    def test_scoring_and_moderation_services(self):
        assessment = self.assessment("open")
        for wrong in (self.executive, self.observer, self.outsider):
            with self.subTest(user=wrong.username):
                self.assertRefused(lambda u=wrong: services.send_reminders(assessment, by=u))
                self.assertRefused(lambda u=wrong: services.start_moderation(assessment, by=u))
                self.assertRefused(
                    lambda u=wrong: services.save_action(
                        assessment, services.ActionInput(self.line, None, "Do", "CEO", None, "open"), by=u
                    )
                )
        self.assertRefused(lambda: services.send_reminders(assessment, by=self.chair))
        for respondent in assessment.respondents.all():
            answer_all(respondent)
            services.submit_response(respondent, by=respondent.user)
        services.start_moderation(assessment, by=self.secretary)
        agreed = services.AgreedInput(3, False, "", None, None, "", None)
        for wrong in (self.executive, self.observer, self.outsider):
            with self.subTest(user=wrong.username):
                self.assertRefused(lambda u=wrong: services.record_agreed_score(assessment, self.line, agreed, by=u))
        agree_all(assessment, by=self.chair)
        for wrong in (self.secretary, self.executive, self.observer):
            with self.subTest(user=wrong.username):
                self.assertRefused(lambda u=wrong: services.sign_off(assessment, by=u))

    def test_evidence_services(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        assessment = self.assessment("open")
        upload = SimpleUploadedFile("paper.pdf", PDF_BYTES)
        data = services.EvidenceInput("Paper", "board-paper", assessment.deadline, "", upload, "application/pdf")
        evidence = services.add_evidence(assessment, self.line, data, by=self.secretary)
        for wrong in (self.executive, self.observer, self.outsider):
            with self.subTest(user=wrong.username):
                self.assertRefused(lambda u=wrong: services.add_evidence(assessment, self.line, data, by=u))
                self.assertRefused(lambda u=wrong: services.remove_evidence(evidence, by=u))


class StatusIsCheckedWithTheWriteTests(PersonaTestCase):
    """A write acts on the status as it is when it writes, not as it was read earlier in
    the request: a save racing "start moderation" is refused."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=1, lines_per_section=2)
        cls.assessment = make_assessment(
            cls.trust, secretary=cls.secretary, respondents=[cls.executive], frameworks=[cls.framework]
        )

    def test_an_autosave_racing_start_moderation_is_refused(self):
        answer = Answer.objects.select_related("respondent__assessment", "line__framework").get(line__code="S1.1")
        self.assertEqual(answer.respondent.assessment.status, "open")  # what the request read
        # Meanwhile, in another request, scoring closes.
        Assessment.objects.filter(pk=self.assessment.pk).update(status=Assessment.Status.MODERATION)
        with self.assertRaisesMessage(services.AssessmentError, "while the assessment is moderation"):
            services.save_answer(answer, services.AnswerInput(4, False, None, "", 0), by=self.executive)
        self.assertIsNone(Answer.objects.get(pk=answer.pk).level)

    def test_an_autosave_racing_its_own_submission_is_refused(self):
        respondent = Respondent.objects.get(user=self.executive)
        answer = Answer.objects.select_related("respondent__assessment", "line__framework").get(line__code="S1.1")
        answer_all(respondent)
        services.submit_response(respondent, by=self.executive)  # in another tab
        answer.refresh_from_db(fields=["version"])
        with self.assertRaisesMessage(services.AssessmentError, "You have submitted your scores"):
            services.save_answer(answer, services.AnswerInput(5, False, None, "", answer.version), by=self.executive)
        self.assertEqual(Answer.objects.get(pk=answer.pk).level, 3)

    def test_a_submission_racing_start_moderation_is_refused(self):
        respondent = Respondent.objects.select_related("assessment").get(user=self.executive)
        answer_all(respondent)
        Assessment.objects.filter(pk=self.assessment.pk).update(status=Assessment.Status.MODERATION)
        with self.assertRaisesMessage(services.AssessmentError, "while the assessment is moderation"):
            services.submit_response(respondent, by=self.executive)
        self.assertIsNone(Respondent.objects.get(pk=respondent.pk).submitted_at)


class EmailsAfterCommitTests(PersonaTestCase):
    def test_a_rolled_back_opening_emails_nobody(self):
        from django.core import mail
        from django.db import transaction

        framework = make_framework(sections=1, lines_per_section=1)
        draft = make_assessment(
            self.trust, secretary=self.secretary, respondents=[self.executive], frameworks=[framework], status="draft"
        )
        with self.captureOnCommitCallbacks(execute=True):
            try:
                with transaction.atomic():
                    services.open_assessment(draft, by=self.secretary)
                    raise RuntimeError("something after the opening failed")
            except RuntimeError:
                pass
        self.assertEqual(mail.outbox, [])
        self.assertEqual(Assessment.objects.get(pk=draft.pk).status, "draft")


class LinesIncludedTests(PersonaTestCase):
    def test_the_organisation_type_is_remembered_when_the_assessment_opens(self):
        framework = make_framework(sections=1, lines_per_section=3)
        framework.lines.filter(code="S1.3").update(organisation_types=["mental-health"])
        assessment = make_assessment(
            self.trust, secretary=self.secretary, respondents=[self.executive], frameworks=[framework]
        )
        self.assertEqual(assessment.organisation_type, OrganisationType.ACUTE)
        self.trust.type = OrganisationType.MENTAL_HEALTH  # the trust changes type later
        self.trust.save()
        assessment = Assessment.objects.get(pk=assessment.pk)
        self.assertEqual([line.code for line in assessment.included_lines()], ["S1.1", "S1.2"])


class LastYearByLineCodeTests(PersonaTestCase):
    def test_last_years_scores_survive_a_new_framework_version(self):
        old = make_framework(slug="well-led-test", version="1", sections=1, lines_per_section=2)
        last = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive],
            frameworks=[old],
            year=2025,
            status="moderation",
        )
        agree_all(last, by=self.chair, level=4)
        last = services.sign_off(last, by=self.chair)
        Framework.objects.filter(pk=old.pk).update(status=Framework.Status.SUPERSEDED)
        new = make_framework(slug="well-led-test", version="2", sections=1, lines_per_section=2)
        new.lines.filter(code="S1.2").update(text="Line 1.2, now one idea")
        this = make_assessment(
            self.trust, secretary=self.secretary, respondents=[self.executive], frameworks=[new], previous=last
        )
        found = previous_scores(this, this.included_lines())
        by_code = {line.code: found[line.pk] for line in this.included_lines()}
        self.assertEqual({code: p.level for code, p in by_code.items()}, {"S1.1": 4, "S1.2": 4})
        self.assertEqual({code: p.wording_changed for code, p in by_code.items()}, {"S1.1": False, "S1.2": True})
        self.client.force_login(self.executive)
        response = self.client.get("/organisations/RA1/assessments/2026/score/S1/")
        self.assertContains(response, "Last year the board agreed: <strong>4</strong>", count=2)
        self.assertContains(response, "The line was worded differently then: “Line 1.2”", count=1)


class EvidenceRuleTests(PersonaTestCase):
    def test_the_sql_and_python_forms_of_the_rule_agree(self):
        framework = make_framework(sections=1, lines_per_section=3)
        assessment = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive],
            frameworks=[framework],
            status="moderation",
        )
        for code, level in (("S1.1", 2), ("S1.2", 3), ("S1.3", 5)):
            services.record_agreed_score(
                assessment,
                framework.lines.get(code=code),
                services.AgreedInput(level, False, "", None, None, "", None),
                by=self.chair,
            )
        scores = AgreedScore.objects.filter(assessment=assessment).select_related("line__framework__scale")
        flagged = set(scores.without_expected_evidence().values_list("line__code", flat=True))
        self.assertEqual(flagged, {"S1.2", "S1.3"})
        self.assertEqual({s.line.code for s in scores if s.expects_evidence}, flagged)


class NewAssessmentFormTests(PersonaTestCase):
    def test_the_period_offered_is_never_one_that_already_exists(self):
        this_year = timezone.localdate().year
        current = this_year if timezone.localdate().month >= 4 else this_year - 1
        framework = make_framework()
        make_assessment(self.trust, secretary=self.secretary, frameworks=[framework], year=current, status="draft")
        self.client.force_login(self.secretary)
        response = self.client.get("/organisations/RA1/assessments/new/")
        form = response.context["form"]
        self.assertEqual(form.fields["period_start_year"].initial, current + 1)
        self.assertNotIn(current, [value for value, _ in form.fields["period_start_year"].choices])


class DateRoundTripTests(PersonaTestCase):
    """Every date field shows its value in the form the browser's date input reads
    (ISO), so saving an edit form unchanged keeps the date."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=1, lines_per_section=1)

    def setUp(self):
        self.client.force_login(self.secretary)

    def test_the_assessment_deadline(self):
        assessment = make_assessment(self.trust, secretary=self.secretary, frameworks=[self.framework], status="draft")
        deadline = assessment.deadline.isoformat()
        response = self.client.get("/organisations/RA1/assessments/2026/edit/")
        self.assertContains(response, f'name="deadline" value="{deadline}"')
        self.client.post(
            "/organisations/RA1/assessments/2026/edit/",
            {"title": "Renamed", "deadline": deadline, "frameworks": [self.framework.pk], "anonymous": "on"},
        )
        assessment.refresh_from_db()
        self.assertEqual((assessment.title, assessment.deadline.isoformat()), ("Renamed", deadline))

    def test_an_actions_due_date(self):
        assessment = make_assessment(self.trust, secretary=self.secretary, frameworks=[self.framework], status="draft")
        line = self.framework.lines.get()
        due = datetime.date(2027, 3, 31)
        action = services.save_action(
            assessment, services.ActionInput(line, None, "Do it", "CEO", due, "open"), by=self.secretary
        )
        url = f"/organisations/RA1/assessments/2026/actions/{action.pk}/"
        response = self.client.get(url)
        self.assertContains(response, 'value="2027-03-31"')
        self.client.post(
            url,
            {
                "target": f"line:{line.pk}",
                "description": "Do it well",
                "owner": "CEO",
                "due_date": "2027-03-31",
                "status": "in-progress",
                "version": action.version,
            },
        )
        action.refresh_from_db()
        self.assertEqual((action.description, action.due_date), ("Do it well", due))

    def test_an_agreed_scores_target_date_and_the_evidence_date(self):
        assessment = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive],
            frameworks=[self.framework],
            status="moderation",
        )
        line = self.framework.lines.get()
        services.record_agreed_score(
            assessment,
            line,
            services.AgreedInput(2, False, "", 3, datetime.date(2027, 9, 30), "", None),
            by=self.secretary,
        )
        response = self.client.get("/organisations/RA1/assessments/2026/moderate/S1/")
        self.assertContains(response, 'name="S1.1-target_date" value="2027-09-30"')
        self.assertContains(response, 'type="date" required name="evidence-S1.1-as_at"')
        # A refused save (level missing) keeps the typed date in the form.
        response = self.client.post(
            "/organisations/RA1/assessments/2026/moderate/line/S1.1/",
            {"S1.1-target_date": "2028-01-31", "S1.1-rationale": "Kept", "S1.1-version": "1"},
        )
        self.assertContains(response, 'name="S1.1-target_date" value="2028-01-31"', status_code=400)
        self.assertContains(response, ">Kept</textarea>", status_code=400)


class ADirectorWhoIsNoLongerADirectorTests(PersonaTestCase):
    def test_a_member_moved_to_observer_can_no_longer_score(self):
        framework = make_framework(sections=1, lines_per_section=1)
        make_assessment(self.trust, secretary=self.secretary, respondents=[self.executive], frameworks=[framework])
        Membership.objects.filter(user=self.executive).update(role=Membership.Role.OBSERVER, director_kind="")
        answer = Answer.objects.select_related("respondent__assessment", "line__framework").get()
        with self.assertRaisesMessage(services.AssessmentError, "does not allow you to change scores"):
            services.save_answer(answer, services.AnswerInput(3, False, None, "", 0), by=self.executive)
        with self.assertRaisesMessage(services.AssessmentError, "does not allow you to submit scores"):
            services.submit_response(answer.respondent, by=self.executive)
        self.client.force_login(self.executive)
        base = "/organisations/RA1/assessments/2026/score/"
        self.assertEqual(self.client.get(base + "S1/").status_code, 404)
        data = {"S1.1-level": "3", "S1.1-target_level": "", "S1.1-comment": "", "S1.1-version": "0"}
        self.assertEqual(self.client.post(base + "line/S1.1/", data, HTTP_HX_REQUEST="true").status_code, 404)
        self.assertIsNone(Answer.objects.get().level)
