"""Confirmation pages for the steps that cannot be undone, the history page (plain words,
paged, filtered) and the overview of a draft."""

from django.core.files.uploadedfile import SimpleUploadedFile

from assessments import services
from assessments.models import Assessment, HistoryEntry
from tests.base import PersonaTestCase
from tests.factories import PDF_BYTES, answer_all, make_assessment, make_framework

A = "/organisations/RA1/assessments/2026/"


class ConfirmationPageTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=1, lines_per_section=3)

    def make(self, status: str) -> Assessment:
        return make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive, self.non_executive],
            frameworks=[self.framework],
            status=status,
        )

    def test_opening_says_who_will_be_emailed_and_does_nothing_until_confirmed(self):
        self.make("draft")
        self.client.force_login(self.secretary)
        response = self.client.get(f"{A}open/")
        self.assertContains(response, "An invitation email goes to 2 directors")
        self.assertContains(response, "Executive Tester, Nonexecutive Tester")
        self.assertContains(response, "Anonymity is fixed as it is now")
        self.assertEqual(Assessment.objects.get().status, "draft")
        with self.captureOnCommitCallbacks(execute=True):
            self.assertRedirects(self.client.post(f"{A}open/"), A)
        self.assertEqual(Assessment.objects.get().status, "open")

    def test_closing_scoring_names_who_has_not_submitted(self):
        assessment = self.make("open")
        done = assessment.respondents.get(user=self.executive)
        answer_all(done)
        services.submit_response(done, by=self.executive)
        self.client.force_login(self.chair)
        response = self.client.get(f"{A}moderation/start/")
        self.assertContains(response, "2 directors invited; 1 has not submitted.")
        self.assertContains(response, "Nonexecutive Tester. Their answers will not count")
        self.assertEqual(Assessment.objects.get().status, "open")

    def test_signing_off_lists_missing_scores_and_missing_evidence(self):
        assessment = self.make("moderation")
        line = self.framework.lines.get(code="S1.1")
        services.record_agreed_score(
            assessment, line, services.AgreedInput(4, False, "", None, None, "", None), by=self.chair
        )
        self.client.force_login(self.chair)
        response = self.client.get(f"{A}sign-off/")
        self.assertContains(response, "2 of 3 lines have no agreed score yet (S1.2, S1.3)")
        self.assertContains(response, "1 agreed score without the evidence it needs")
        self.assertContains(response, "S1.1 (level 4)")
        self.assertContains(response, "disabled")  # nothing to sign off yet
        for code, version in (("S1.1", 1), ("S1.2", None), ("S1.3", None)):
            services.record_agreed_score(
                assessment,
                self.framework.lines.get(code=code),
                services.AgreedInput(2, False, "", None, None, "", version),
                by=self.chair,
            )
        response = self.client.get(f"{A}sign-off/")
        self.assertContains(response, "Every one of the 3 lines has an agreed score")
        self.assertContains(response, "Every agreed score that needs evidence has some.")
        self.assertEqual(Assessment.objects.get().status, "moderation")

    def test_removing_evidence_says_what_is_lost(self):
        assessment = self.make("moderation")
        line = self.framework.lines.get(code="S1.1")
        services.record_agreed_score(
            assessment, line, services.AgreedInput(3, False, "", None, None, "", None), by=self.chair
        )
        upload = SimpleUploadedFile("audit.pdf", PDF_BYTES)
        evidence = services.add_evidence(
            assessment,
            line,
            services.EvidenceInput("Audit", "audit-report", assessment.deadline, "", upload, "application/pdf"),
            by=self.secretary,
        )
        self.client.force_login(self.secretary)
        response = self.client.get(f"{A}evidence/{evidence.pk}/remove/")
        self.assertContains(response, "The uploaded file “audit.pdf” is deleted.")
        self.assertContains(response, "S1.1 will then have no evidence")
        self.assertTrue(assessment.evidence.exists())
        self.client.post(f"{A}evidence/{evidence.pk}/remove/")
        self.assertFalse(assessment.evidence.exists())


class HistoryPageTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=1, lines_per_section=2)
        cls.assessment = make_assessment(
            cls.trust,
            secretary=cls.secretary,
            respondents=[cls.executive],
            frameworks=[cls.framework],
            status="moderation",
        )
        line = cls.framework.lines.get(code="S1.2")
        for level in (1, 2, 3):
            current = cls.assessment.agreed_scores.filter(line=line).first()
            services.record_agreed_score(
                cls.assessment,
                line,
                services.AgreedInput(level, False, "", None, None, "", current.version if current else None),
                by=cls.chair,
            )
        for _ in range(60):
            HistoryEntry.objects.create(
                assessment=cls.assessment, actor=cls.secretary, action="added", subject="Action"
            )

    def setUp(self):
        self.client.force_login(self.secretary)

    def test_it_is_paged_newest_first(self):
        response = self.client.get(f"{A}history/")
        self.assertEqual(len(response.context["rows"]), 50)
        self.assertContains(response, "Page 1 of 2")
        self.assertContains(self.client.get(f"{A}history/?page=2"), "Page 2 of 2")

    def test_it_filters_by_kind_and_line_in_plain_words(self):
        response = self.client.get(f"{A}history/?kind=Agreed+score&line=S1.2")
        rows = response.context["rows"]
        self.assertEqual([row.what for row in rows], ["Agreed score changed"] * 2 + ["Agreed score created"])
        self.assertContains(response, '<span class="fw-bold">Level</span>: 2 → 3', html=True)
        self.assertNotContains(response, "not_assessed")
        self.assertEqual(self.client.get(f"{A}history/?line=S1.1&kind=Agreed+score").context["rows"], [])
        # Unknown filters are ignored rather than trusted.
        self.assertEqual(len(self.client.get(f"{A}history/?kind=Answer").context["rows"]), 50)


class DraftOverviewTests(PersonaTestCase):
    def test_a_drafts_progress_does_not_read_0_of_0(self):
        make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive],
            frameworks=[make_framework()],
            status="draft",
        )
        self.client.force_login(self.secretary)
        response = self.client.get(A)
        self.assertContains(response, "Scoring not open yet")
        self.assertNotContains(response, "0 of 0")
