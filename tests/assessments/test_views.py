"""The assessment pages: scoring with autosave and without JavaScript, moderation,
evidence uploads, history, and their query counts."""

import datetime
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Assessment, Evidence, Respondent
from tests.base import PersonaTestCase, add_member, make_user
from tests.factories import PDF_BYTES, answer_all, make_assessment, make_framework

A = "/organisations/RA1/assessments/2026/"
HTMX = {"HTTP_HX_REQUEST": "true"}


class QueryCountMixin:
    def assertQueries(self, budget: int, request):
        """At most `budget` queries, not counting transaction control (SAVEPOINT/RELEASE),
        which the test case's own transaction adds and production does not run."""
        with CaptureQueriesContext(connection) as context:
            response = request()
        queries = [q["sql"] for q in context.captured_queries if q["sql"].split()[0] not in {"SAVEPOINT", "RELEASE"}]
        self.assertLessEqual(len(queries), budget, "\n".join(queries))
        return response, len(queries)


class ScoringPageTests(QueryCountMixin, PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=2, lines_per_section=3)
        cls.assessment = make_assessment(
            cls.trust,
            secretary=cls.secretary,
            respondents=[cls.executive, cls.non_executive],
            frameworks=[cls.framework],
        )

    def setUp(self):
        self.client.force_login(self.executive)
        self.respondent = Respondent.objects.get(assessment=self.assessment, user=self.executive)

    def answer(self, code="S1.1") -> Answer:
        return self.respondent.answers.get(line__code=code)

    def post_line(self, code="S1.1", level="3", version=None, target="", comment=""):
        version = self.answer(code).version if version is None else version
        data = {
            f"{code}-level": level,
            f"{code}-target_level": target,
            f"{code}-comment": comment,
            f"{code}-version": version,
        }
        return self.client.post(f"{A}score/line/{code}/", data, **HTMX)

    def test_the_first_visit_goes_to_the_first_unanswered_section(self):
        answer_all_but = self.respondent.answers.filter(line__section__code="S1")
        for answer in answer_all_but.select_related("respondent__assessment", "line__framework"):
            services.save_answer(answer, services.AnswerInput(2, False, None, "", answer.version), by=self.executive)
        self.assertRedirects(self.client.get(f"{A}score/"), f"{A}score/S2/")

    def test_the_page_shows_levels_dont_know_target_and_comment(self):
        response = self.client.get(f"{A}score/S1/")
        for text in [
            "S1.1",
            "Line 1.1",
            "1 Emerging",
            "5 Exemplary",
            "Don&#x27;t know",
            "Target level (optional)",
            "Comment (optional)",
            "Progress: 0 of 6 lines",
        ]:
            self.assertContains(response, text)
        self.assertContains(response, 'hx-post="/organisations/RA1/assessments/2026/score/line/S1.1/"')
        # Each level's descriptor is on the page once and linked to every radio button.
        self.assertContains(response, '<dd id="level-3">Established descriptor</dd>', html=False)
        self.assertContains(response, 'aria-describedby="level-3"', count=3)

    def test_last_years_agreed_score_is_shown_as_a_reference_only(self):
        from tests.factories import agree_all

        last = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive],
            frameworks=[self.framework],
            year=2025,
            status="moderation",
        )
        agree_all(last, by=self.chair, level=4)
        last = services.sign_off(last, by=self.chair)
        Assessment.objects.filter(pk=self.assessment.pk).update(previous=last)
        response = self.client.get(f"{A}score/S1/")
        self.assertContains(response, "Last year the board agreed: <strong>4</strong>", count=3)
        self.assertEqual(self.answer().level, None)  # never copied as this year's answer

    def test_autosave_saves_one_answer_and_returns_the_saved_state(self):
        response = self.post_line(level="4", target="5", comment="Improving")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Saved")
        self.assertContains(response, 'name="S1.1-version" value="1"')
        answer = self.answer()
        self.assertEqual((answer.level, answer.target_level, answer.comment, answer.version), (4, 5, "Improving", 1))

    def test_a_save_stored_before_the_database_went_away_is_acknowledged(self):
        # The answer's UPDATE committed; then the progress panel's query fails (PostgreSQL
        # restarting: bench/faults.py saw it). The director is told it is saved, with its
        # new version, so that the next save is not refused as stale.
        with (
            mock.patch("assessments.views.scoring_progress", side_effect=OperationalError("server closed")),
            self.assertLogs("assessments.views", "WARNING"),
        ):
            response = self.post_line(level="4")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Saved")
        self.assertContains(response, 'name="S1.1-version" value="1"')
        self.assertNotContains(response, "score-progress")
        self.assertEqual((self.answer().level, self.answer().version), (4, 1))

    def test_a_save_that_was_not_stored_is_not_acknowledged(self):
        # An invalid save (nothing stored) with the database gone is an error, not "Saved".
        with mock.patch("assessments.views.scoring_progress", side_effect=OperationalError("server closed")):
            with self.assertRaises(OperationalError):
                self.post_line(level="9")
        self.assertEqual(self.answer().version, 0)

    def test_leaving_and_coming_back_restores_everything(self):
        self.post_line(level="2", target="4", comment="Half way")
        self.post_line(code="S1.2", level="dk")
        response = self.client.get(f"{A}score/S1/")
        self.assertContains(response, 'name="S1.1-level" value="2" id="id_S1.1-level_1" checked')
        self.assertContains(response, 'name="S1.2-level" value="dk"')
        self.assertContains(response, "Half way</textarea>")
        self.assertContains(response, '<option value="4" selected>4 Embedded</option>')
        self.assertContains(response, "Progress: 2 of 6 lines")

    def test_a_second_tab_gets_the_stale_message_and_the_current_answer(self):
        self.post_line(level="2", version=0)  # first tab
        response = self.post_line(level="5", version=0)  # second tab, still on version 0
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response["HX-Retarget"], f"#answer-{self.answer().pk}")
        self.assertContains(response, "changed elsewhere", status_code=409)
        self.assertContains(response, 'value="2" id="id_S1.1-level_1" checked', status_code=409)
        # What the second tab typed is kept beside the saved answer, to copy back.
        self.assertContains(response, "What you typed (not saved)", status_code=409)
        self.assertContains(response, "<dt>Level</dt><dd>5 Exemplary</dd>", html=True, status_code=409)
        self.assertContains(response, 'data-mine-field="S1.1-level" value="5"', status_code=409)
        self.assertContains(response, "Copy mine back", status_code=409)
        self.assertEqual(self.answer().level, 2)

    def test_bad_input_gets_a_message_and_changes_nothing(self):
        cases = [
            ("9", "", "Select a valid choice"),
            ("2", "1", "Target level: The target cannot be below the level you chose (2)"),
            ("3", "", "Ensure this value has at most 10000 characters"),
        ]
        for level, target, message in cases:
            with self.subTest(message=message):
                comment = "x" * 10_001 if "10000" in message else ""
                response = self.post_line(level=level, target=target, comment=comment)
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, message, status_code=400)
        self.assertEqual(self.answer().version, 0)

    def test_a_line_of_another_assessment_is_404(self):
        other = make_framework()
        self.assertEqual(self.client.post(f"{A}score/line/{other.lines.first().code}X/", {}, **HTMX).status_code, 404)

    def test_the_section_form_saves_everything_without_javascript(self):
        data = {}
        for answer in self.respondent.answers.filter(line__section__code="S1").select_related("line"):
            code = answer.line.code
            data.update(
                {
                    f"{code}-level": "3",
                    f"{code}-target_level": "4",
                    f"{code}-comment": "",
                    f"{code}-version": answer.version,
                }
            )
        response = self.client.post(f"{A}score/S1/", {**data, "next": ""})
        self.assertRedirects(response, f"{A}score/S2/")
        self.assertEqual(
            set(self.respondent.answers.filter(line__section__code="S1").values_list("level", flat=True)), {3}
        )

    def test_the_section_form_reports_stale_lines_without_losing_the_others(self):
        self.post_line(level="1", version=0)  # another device saved S1.1
        data = {}
        for code in ("S1.1", "S1.2", "S1.3"):
            data.update({f"{code}-level": "4", f"{code}-target_level": "", f"{code}-comment": "", f"{code}-version": 0})
        # S1.3: a target below the level, with a comment that must not be lost.
        data.update({"S1.3-target_level": "2", "S1.3-comment": "Board papers show this only in part."})
        response = self.client.post(f"{A}score/S1/", data)
        self.assertContains(response, "Some answers were not saved", status_code=400)
        self.assertContains(response, "changed elsewhere", status_code=400)
        self.assertEqual(self.answer("S1.1").level, 1)
        self.assertEqual(self.answer("S1.2").level, 4)
        # Nothing of S1.3 is saved; everything typed is back in the form, the error beside the target.
        self.assertEqual((self.answer("S1.3").level, self.answer("S1.3").comment), (None, ""))
        self.assertContains(response, ">Board papers show this only in part.</textarea>", status_code=400)
        self.assertContains(response, 'value="4" id="id_S1.3-level_3" checked', status_code=400)
        self.assertContains(response, '<option value="2" selected>2 Developing</option>', status_code=400)
        self.assertContains(
            response,
            '<p class="field-error" id="id_S1.3-target_level_error">'
            "The target cannot be below the level you chose (4).</p>",
            status_code=400,
        )
        # S1.1, in conflict: the saved answer, and what was typed beside it.
        self.assertContains(response, 'data-mine-field="S1.1-level" value="4"', status_code=400)

    def test_submitting_and_reopening(self):
        response = self.client.post(f"{A}score/submit/", follow=True)
        self.assertContains(response, "lines are not answered yet")
        answer_all(self.respondent)
        self.assertRedirects(self.client.post(f"{A}score/submit/"), A)
        self.assertContains(self.client.get(A), "Reopen my scores")
        self.assertEqual(self.post_line(level="1").status_code, 400)
        self.assertRedirects(self.client.post(f"{A}score/reopen/"), f"{A}score/", fetch_redirect_response=False)

    def test_query_counts(self):
        _, scoring = self.assertQueries(8, lambda: self.client.get(f"{A}score/S1/"))
        version = self.answer().version
        _, autosave = self.assertQueries(7, lambda: self.post_line(level="3", version=version))
        # A framework three times the size, with last year's agreed scores for reference:
        # the scoring page takes the same number of queries plus one for last year.
        from tests.factories import agree_all

        bigger = make_framework(sections=4, lines_per_section=9)
        secretary, chair, director = make_user("sib-secretary"), make_user("sib-chair"), make_user("sib-director")
        add_member(secretary, self.sibling, "secretary")
        add_member(chair, self.sibling, "chair")
        add_member(director, self.sibling, "director", "executive")
        last = make_assessment(
            self.sibling,
            secretary=secretary,
            respondents=[director],
            frameworks=[bigger],
            year=2025,
            status="moderation",
        )
        agree_all(last, by=chair, level=4)
        last = services.sign_off(last, by=chair)
        large = make_assessment(
            self.sibling, secretary=secretary, respondents=[director], frameworks=[bigger], previous=last
        )
        self.client.force_login(director)
        response, large_scoring = self.assertQueries(
            9, lambda: self.client.get(f"/organisations/RA2/assessments/{large.period_start_year}/score/S1/")
        )
        self.assertEqual(len(large.included_lines()), 36)
        self.assertContains(response, "Last year the board agreed: <strong>4</strong>", count=9)
        self.assertEqual((scoring, large_scoring, autosave), (8, 9, 7))


class ModerationPageTests(QueryCountMixin, PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=2, lines_per_section=3)
        # Three executive and three non-executive directors: enough for every figure.
        others = []
        for name, kind in (
            ("exec2", "executive"),
            ("exec3", "executive"),
            ("ned2", "non-executive"),
            ("ned3", "non-executive"),
        ):
            user = make_user(name)
            add_member(user, cls.trust, "director", kind)
            others.append(user)
        cls.assessment = make_assessment(
            cls.trust,
            secretary=cls.secretary,
            respondents=[cls.executive, cls.non_executive, *others],
            frameworks=[cls.framework],
            status="moderation",
            anonymous=True,
        )
        answer = Answer.objects.get(respondent__user=cls.non_executive, line__code="S1.1")
        Answer.objects.filter(pk=answer.pk).update(level=1, comment="Not at all sure about this.")
        # S1.3 divides the board most: levels 1, 1, 5, 5, 3, 3.
        for username, level in (("executive", 1), ("exec2", 1), ("exec3", 5), ("nonexecutive", 5)):
            Answer.objects.filter(respondent__user__username=username, line__code="S1.3").update(level=level)

    def setUp(self):
        self.client.force_login(self.secretary)

    def test_it_shows_distribution_means_and_anonymous_comments(self):
        response = self.client.get(f"{A}moderate/S1/")
        self.assertContains(response, "Individual scores (6 scored")
        self.assertContains(response, "<dt>Executive mean</dt><dd>3.0</dd>", html=False)
        self.assertContains(response, "<dt>Non-executive mean</dt><dd>2.33</dd>", html=False)
        self.assertContains(response, "A director:</span> Not at all sure")
        self.assertNotContains(response, "Nonexecutive Tester")

    def test_named_comments_when_the_assessment_is_not_anonymous(self):
        Assessment.objects.filter(pk=self.assessment.pk).update(anonymous=False)
        self.assertContains(self.client.get(f"{A}moderate/S1/"), "Nonexecutive Tester:</span> Not at all sure")

    def test_most_disagreement_first(self):
        # Spreads: S1.3 (1,1,5,5,3,3) > S1.1 (one 1 among 3s) > S1.2 (all 3s), the reverse of
        # framework order for S1.3, so the test fails without the sort.
        content = self.client.get(f"{A}moderate/S1/?order=disagreement").content.decode()
        positions = [content.index(f'id="line-{code}"') for code in ("S1.3", "S1.1", "S1.2")]
        self.assertEqual(positions, sorted(positions))
        plain = self.client.get(f"{A}moderate/S1/").content.decode()
        positions = [plain.index(f'id="line-{code}"') for code in ("S1.1", "S1.2", "S1.3")]
        self.assertEqual(positions, sorted(positions))

    def test_a_conflicting_agreed_score_keeps_the_typed_rationale_beside_the_saved_one(self):
        url = f"{A}moderate/line/S1.2/"
        first = {"S1.2-level": "3", "S1.2-rationale": "Agreed in the first tab.", "S1.2-version": "0"}
        self.client.post(url, first)
        stale = {"S1.2-level": "4", "S1.2-rationale": "Typed in the second tab, do not lose.", "S1.2-version": "0"}
        response = self.client.post(url, stale)
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "What you typed (not saved)", status_code=409)
        self.assertContains(response, "Typed in the second tab, do not lose.", status_code=409)
        self.assertContains(response, "Copy mine back", status_code=409)
        self.assertContains(response, "Agreed in the first tab.", status_code=409)  # the saved version
        agreed = self.assessment.agreed_scores.get(line__code="S1.2")
        self.assertEqual((agreed.level, agreed.rationale), (3, "Agreed in the first tab."))

    def test_agreed_score_with_evidence_flag(self):
        response = self.client.post(
            f"{A}moderate/line/S1.2/",
            {"S1.2-level": "4", "S1.2-target_level": "5", "S1.2-rationale": "Yes", "S1.2-version": "0"},
            follow=True,
        )
        self.assertContains(response, "S1.2: agreed score saved")
        self.assertContains(response, "an agreed score of 3 or above needs at least one piece of evidence")
        # The scale says where evidence starts: on a scale that wants it from 5, a 4 is not flagged.
        self.framework.scale.__class__.objects.filter(pk=self.framework.scale_id).update(evidence_from_level=5)
        self.assertNotContains(self.client.get(f"{A}moderate/S1/"), "needs at least one piece of evidence")
        self.framework.scale.__class__.objects.filter(pk=self.framework.scale_id).update(evidence_from_level=3)
        upload = SimpleUploadedFile("audit.pdf", PDF_BYTES, content_type="application/pdf")
        response = self.client.post(
            f"{A}moderate/line/S1.2/evidence/",
            {
                "evidence-S1.2-title": "Internal audit 2026",
                "evidence-S1.2-kind": "audit-report",
                "evidence-S1.2-as_at": "2026-09-30",
                "evidence-S1.2-url": "",
                "evidence-S1.2-file": upload,
            },
            follow=True,
        )
        self.assertContains(response, "S1.2: evidence added")
        self.assertNotContains(response, "needs at least one piece of evidence")
        evidence = Evidence.objects.get()
        self.assertEqual((evidence.original_name, evidence.content_type), ("audit.pdf", "application/pdf"))
        self.assertTrue(evidence.file.name.startswith(f"evidence/{self.assessment.pk}/"))

    def test_uploads_that_are_not_documents_are_refused(self):
        cases = [
            (SimpleUploadedFile("notes.pdf", b"just some text, not a PDF"), "not a document we accept"),
            (SimpleUploadedFile("script.exe", b"MZ\x90\x00\x03"), "not a document we accept"),
            (SimpleUploadedFile("picture.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 20), "its content is a PNG file"),
            (SimpleUploadedFile("empty.pdf", b""), "The submitted file is empty"),
        ]
        for upload, message in cases:
            with self.subTest(message=message):
                response = self.client.post(
                    f"{A}moderate/line/S1.1/evidence/",
                    {
                        "evidence-S1.1-title": "Paper",
                        "evidence-S1.1-kind": "board-paper",
                        "evidence-S1.1-as_at": "2026-09-30",
                        "evidence-S1.1-file": upload,
                    },
                    follow=True,
                )
                self.assertContains(response, message)
        with self.settings(EVIDENCE_MAX_BYTES=10):
            response = self.client.post(
                f"{A}moderate/line/S1.1/evidence/",
                {
                    "evidence-S1.1-title": "Paper",
                    "evidence-S1.1-kind": "board-paper",
                    "evidence-S1.1-as_at": "2026-09-30",
                    "evidence-S1.1-file": SimpleUploadedFile("big.pdf", PDF_BYTES),
                },
                follow=True,
            )
            self.assertContains(response, "the largest accepted is 0 MB")
        self.assertFalse(Evidence.objects.exists())

    def test_evidence_files_go_only_to_those_who_may_see_the_assessment(self):
        upload = SimpleUploadedFile("paper.pdf", PDF_BYTES)
        evidence = services.add_evidence(
            self.assessment,
            self.framework.lines.get(code="S1.1"),
            services.EvidenceInput("Paper", "board-paper", datetime.date(2026, 9, 1), "", upload, "application/pdf"),
            by=self.secretary,
        )
        url = f"{A}evidence/{evidence.pk}/"
        response = self.client.get(url)
        self.assertEqual(b"".join(response.streaming_content), PDF_BYTES)
        self.assertIn("attachment", response["Content-Disposition"])
        # In moderation: the observer (signed-off assessments only) and the consultant are outside.
        for user, status in ((self.observer, 404), (self.outsider, 404), (self.consultant, 404), (self.staff, 404)):
            self.client.force_login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(url).status_code, status)

    def test_the_moderation_page_query_count_is_constant(self):
        _, small = self.assertQueries(12, lambda: self.client.get(f"{A}moderate/S1/"))
        # Many more respondents and lines: the same number of queries.
        big = make_framework(sections=2, lines_per_section=12)
        directors = []
        for n in range(12):
            user = make_user(f"director{n}")
            add_member(user, self.sibling, "director", "executive" if n % 2 else "non-executive")
            directors.append(user)
        secretary = make_user("sibling-secretary")
        add_member(secretary, self.sibling, "secretary")
        large = make_assessment(
            self.sibling, secretary=secretary, respondents=directors, frameworks=[big], status="moderation"
        )
        self.client.force_login(secretary)
        response, large_count = self.assertQueries(
            12, lambda: self.client.get(f"/organisations/RA2/assessments/{large.period_start_year}/moderate/S1/")
        )
        self.assertContains(response, "Individual scores (12 scored", count=12)
        self.assertEqual(small, large_count)

    def test_the_history_page_never_shows_individual_answers(self):
        self.assertTrue(self.assessment.history.filter(subject="Answer").exists())  # kept for audit
        for anonymous in (True, False):
            Assessment.objects.filter(pk=self.assessment.pk).update(anonymous=anonymous)
            response = self.client.get(f"{A}history/")
            self.assertContains(response, "<td>Secretary Tester</td>", html=False)
            self.assertContains(response, "Scores submitted")
            self.assertNotContains(response, "answer changed")
            self.assertNotContains(response, "Level</span>")
            self.assertNotContains(response, "dont_know")
        self.client.force_login(self.executive)
        self.assertEqual(self.client.get(f"{A}history/").status_code, 403)

    def test_a_director_sees_their_own_changes_only_on_their_scoring_page(self):
        self.client.force_login(self.executive)
        response = self.client.get(f"{A}score/S1/")
        self.assertContains(response, "Your changes in this section")
        mine = self.assessment.history.filter(
            subject="Answer", respondent__user=self.executive, line_code__startswith="S1"
        )
        # Six directors made the same changes; only this director's are listed.
        self.assertContains(response, "level – → 3", count=mine.count())


class ConsultantAccessTests(PersonaTestCase):
    def test_consultants_see_signed_off_assessments_of_their_ics_only(self):
        framework = make_framework(sections=1, lines_per_section=1)
        assessment = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive],
            frameworks=[framework],
            status="moderation",
        )
        self.client.force_login(self.consultant)
        self.assertEqual(self.client.get(A).status_code, 404)
        services.record_agreed_score(
            assessment, framework.lines.get(), services.AgreedInput(2, False, "", None, None, "", None), by=self.chair
        )
        services.sign_off(assessment, by=self.chair)
        self.assertEqual(self.client.get(A).status_code, 200)
        self.assertEqual(self.client.get(f"{A}actions/").status_code, 200)
        self.assertEqual(self.client.get(f"{A}moderate/S1/").status_code, 403)  # never individual scores
        self.assertEqual(self.client.get(f"{A}score/S1/").status_code, 403)
        self.client.force_login(self.consultant_elsewhere)
        self.assertEqual(self.client.get(A).status_code, 404)


class SetUpPagesTests(PersonaTestCase):
    def test_the_secretary_creates_invites_and_opens(self):
        framework = make_framework(sections=1, lines_per_section=2)
        self.client.force_login(self.secretary)
        deadline = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
        response = self.client.post(
            "/organisations/RA1/assessments/new/",
            {
                "title": "Board self-assessment",
                "period_start_year": timezone.localdate().year,
                "frameworks": [framework.pk],
                "deadline": deadline,
                "anonymous": "on",
            },
        )
        year = timezone.localdate().year
        self.assertRedirects(response, f"/organisations/RA1/assessments/{year}/respondents/")
        members = self.client.get(response["Location"]).context["form"].fields["directors"].queryset
        self.assertEqual(sorted(m.user.username for m in members), ["chair", "executive", "nonexecutive"])
        self.client.post(response["Location"], {"directors": [m.pk for m in members]})
        response = self.client.post(f"/organisations/RA1/assessments/{year}/open/", follow=True)
        self.assertContains(response, "open for scoring")
        self.assertEqual(Assessment.objects.get().status, "open")

    def test_a_deadline_in_the_past_is_refused(self):
        framework = make_framework()
        self.client.force_login(self.secretary)
        response = self.client.post(
            "/organisations/RA1/assessments/new/",
            {
                "title": "Late",
                "period_start_year": timezone.localdate().year,
                "frameworks": [framework.pk],
                "deadline": "2020-01-01",
            },
        )
        self.assertContains(response, "The deadline is in the past")
        self.assertFalse(Assessment.objects.exists())
