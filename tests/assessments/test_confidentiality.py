"""The board's promise: no director's scores can be learned by the people who run the
assessment, by reading, toggling, removing or comparing. Each test fails when its rule
is taken out of assessments/services.py, selectors.py, history.py or models.py."""

from django.test import override_settings

from assessments import services
from assessments.models import Answer, Assessment, Respondent
from assessments.selectors import anonymity_threshold
from organisations.models import Membership
from tests.base import PersonaTestCase, add_member, make_user
from tests.factories import answer_all, make_assessment, make_framework

A = "/organisations/RA1/assessments/2026/"
WITHHELD = "fewer than 3 answers: withheld to keep them anonymous"


class BoardTestCase(PersonaTestCase):
    """A board of `executives` executive and `non_executives` non-executive directors
    (the personas first), all invited to an open assessment of one two-line section."""

    executives = 3
    non_executives = 3

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=1, lines_per_section=2)
        directors = [cls.executive, cls.non_executive]
        for n in range(2, cls.executives + 1):
            user = make_user(f"exec{n}")
            add_member(user, cls.trust, "director", "executive")
            directors.append(user)
        for n in range(2, cls.non_executives + 1):
            user = make_user(f"ned{n}")
            add_member(user, cls.trust, "director", "non-executive")
            directors.append(user)
        if cls.non_executives == 0:
            directors.remove(cls.non_executive)
        cls.directors = directors
        cls.assessment = make_assessment(
            cls.trust, secretary=cls.secretary, respondents=directors, frameworks=[cls.framework]
        )

    def respondent(self, user) -> Respondent:
        return Respondent.objects.get(assessment=self.assessment, user=user)

    def submit(self, user, level: int = 3, comment: str = "") -> None:
        respondent = self.respondent(user)
        answer_all(respondent, level=level)
        if comment:
            Answer.objects.filter(respondent=respondent, line__code="S1.1").update(comment=comment)
        services.submit_response(respondent, by=user)

    def close_scoring(self) -> None:
        services.start_moderation(self.assessment, by=self.secretary)

    def moderation_page(self, user=None):
        self.client.force_login(user or self.secretary)
        return self.client.get(f"{A}moderate/S1/")


class AnonymityIsFixedTests(BoardTestCase):
    def details(self, anonymous: bool) -> services.AssessmentDetails:
        a = self.assessment
        return services.AssessmentDetails(a.title, a.period_start_year, a.deadline, anonymous, [self.framework])

    def test_the_service_refuses_a_change_once_scoring_has_opened(self):
        with self.assertRaisesMessage(services.AssessmentError, "Anonymity is fixed once scoring opens"):
            services.update_assessment(self.assessment, self.details(False), by=self.secretary)
        self.assertTrue(Assessment.objects.get(pk=self.assessment.pk).anonymous)

    def test_it_can_change_while_a_draft(self):
        draft = make_assessment(
            self.trust, secretary=self.secretary, frameworks=[self.framework], year=2027, status="draft"
        )
        details = services.AssessmentDetails(draft.title, 2027, draft.deadline, False, [self.framework])
        services.update_assessment(draft, details, by=self.secretary)
        self.assertFalse(Assessment.objects.get(pk=draft.pk).anonymous)

    def test_the_form_shows_it_read_only_and_a_forged_post_changes_nothing(self):
        self.client.force_login(self.secretary)
        response = self.client.get(f"{A}edit/")
        self.assertContains(response, "Fixed once scoring opened")
        self.assertInHTML(
            '<input type="checkbox" name="anonymous" class="checkboxinput form-check-input" disabled id="id_anonymous"'
            ' checked aria-describedby="id_anonymous_helptext">',
            response.content.decode(),
        )
        a = self.assessment
        self.client.post(
            f"{A}edit/",
            {"title": a.title, "deadline": a.deadline.isoformat(), "frameworks": [self.framework.pk]},  # unticked
        )
        self.assertTrue(Assessment.objects.get(pk=a.pk).anonymous)


class OnlySubmittedAnswersCountTests(BoardTestCase):
    def test_a_draft_is_the_directors_alone(self):
        for user in self.directors[:3]:
            self.submit(user, level=3)
        # A director who has not submitted: a distinctive level and comment.
        drafting = self.directors[3]
        answer_all(self.respondent(drafting), level=5)
        Answer.objects.filter(respondent__user=drafting, line__code="S1.1").update(comment="My private draft")
        for user in self.directors[4:]:
            self.respondent(user)  # invited, nothing answered
        self.close_scoring()
        response = self.moderation_page()
        self.assertContains(response, "Individual scores (3 scored", count=2)
        self.assertContains(response, "level 5: 0", count=2)  # the draft's 5s are not counted
        self.assertNotContains(response, "My private draft")
        self.assertContains(response, "Figures use the submitted scores of 3 directors. 3 directors have not submitted")


class SmallGroupsAreWithheldTests(BoardTestCase):
    def test_fewer_than_three_submitted_answers_show_nothing_of_the_line(self):
        self.submit(self.executive, level=1, comment="Only two of us answered")
        self.submit(self.non_executive, level=5)
        self.close_scoring()
        response = self.moderation_page()
        self.assertContains(response, WITHHELD, count=2)
        self.assertNotContains(response, "Only two of us answered")
        self.assertNotContains(response, "<dt>Mean</dt>", html=False)
        self.assertNotContains(response, 'class="distribution"')

    def test_three_submitted_answers_show_the_line(self):
        for user, level in zip(self.directors[:3], (1, 3, 5), strict=True):
            self.submit(user, level=level, comment=f"Comment {level}")
        self.close_scoring()
        response = self.moderation_page()
        self.assertNotContains(response, WITHHELD)
        self.assertContains(response, "<dt>Mean</dt><dd>3.0</dd>", html=False, count=2)
        self.assertContains(response, "A director:</span> Comment 1")

    @override_settings(ANONYMITY_THRESHOLD=4)
    def test_the_threshold_is_one_setting(self):
        for user in self.directors[:3]:
            self.submit(user)
        self.close_scoring()
        self.assertContains(self.moderation_page(), "fewer than 4 answers: withheld", count=2)

    @override_settings(ANONYMITY_THRESHOLD=1)
    def test_the_threshold_never_goes_below_three(self):
        self.assertEqual(anonymity_threshold(), 3)
        self.submit(self.executive)
        self.submit(self.non_executive)
        self.close_scoring()
        self.assertContains(self.moderation_page(), WITHHELD, count=2)

    def test_the_comment_author_is_not_given_away_by_their_kind(self):
        for user in self.directors[:3]:
            self.submit(user, comment="Said by someone")
        self.close_scoring()
        response = self.moderation_page()
        self.assertNotContains(response, "Non-executive director:")
        self.assertNotContains(response, "Executive director:")


class GroupMeansTests(BoardTestCase):
    executives = 3
    non_executives = 1

    def test_one_non_executive_mean_is_withheld_and_so_is_the_executive_mean(self):
        # Three executives and one non-executive: her "mean" would be her score, and the
        # overall mean with the executive mean would give it away too.
        self.submit(self.non_executive, level=1)
        for user in self.directors[:1] + self.directors[2:]:
            self.submit(user, level=4)
        self.close_scoring()
        response = self.moderation_page()
        self.assertNotContains(response, "<dt>Non-executive mean</dt>", html=False)
        self.assertNotContains(response, "<dt>Executive mean</dt>", html=False)
        self.assertContains(response, "fewer than 3 scores from executive or from non-executive directors", count=2)
        self.assertContains(response, "<dt>Mean</dt><dd>3.25</dd>", html=False, count=2)


class GroupMeansShownTests(BoardTestCase):
    def test_three_in_each_group_show_both_means(self):
        for user in self.directors:
            membership = Membership.objects.get(user=user, organisation=self.trust)
            self.submit(user, level=2 if membership.is_executive else 4)
        self.close_scoring()
        response = self.moderation_page()
        self.assertContains(response, "<dt>Executive mean</dt><dd>2.0</dd>", html=False, count=2)
        self.assertContains(response, "<dt>Non-executive mean</dt><dd>4.0</dd>", html=False, count=2)


class NoFiguresWhileScoringIsOpenTests(BoardTestCase):
    def test_submissions_one_by_one_reveal_nothing(self):
        # While scoring is open, each new submission (or removal) would change the
        # figures by exactly one director's answers; so none are shown until it closes.
        for user in self.directors[:4]:
            self.submit(user, level=5, comment="Visible too early?")
        response = self.moderation_page()
        self.assertContains(response, "shown when scoring closes", count=2)
        self.assertNotContains(response, "Visible too early?")
        self.assertNotContains(response, 'class="distribution"')
        # Removing a director (possible only while open) therefore shows nothing either.
        services.remove_respondent(self.respondent(self.directors[3]), by=self.secretary)
        self.assertNotContains(self.moderation_page(), "Individual scores (")


class ObserverTests(BoardTestCase):
    def test_an_observer_sees_nothing_of_an_assessment_until_it_is_signed_off(self):
        self.client.force_login(self.observer)
        for path in ("", "actions/", "moderate/S1/", "history/"):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(A + path).status_code, 404)
        self.assertNotContains(self.client.get("/organisations/RA1/assessments/"), "2026/27")


class DontKnowDoesNotLetOneScoreThroughTests(BoardTestCase):
    def test_figures_need_three_scores_not_three_answers(self):
        # Found by a hostile test: two "don't know" and one score showed that score as the
        # whole distribution, mean and range.
        self.submit(self.executive, level=3)
        self.submit(self.directors[2], level=3)
        respondent = self.respondent(self.non_executive)
        answer_all(respondent, level=1)
        Answer.objects.filter(respondent__user__in=[self.executive, self.directors[2]], line__code="S1.1").update(
            level=None, dont_know=True
        )
        services.submit_response(respondent, by=self.non_executive)
        self.close_scoring()
        response = self.moderation_page()
        self.assertContains(response, WITHHELD, count=1)  # S1.1: one score among three answers
        self.assertContains(response, "Individual scores (3 scored", count=1)  # S1.2

    def test_the_mean_target_needs_three_targets(self):
        for user in self.directors[:3]:
            self.submit(user, level=3)
        Answer.objects.filter(respondent__user=self.executive, line__code="S1.1").update(target_level=5)
        self.close_scoring()
        response = self.moderation_page()
        self.assertContains(response, "fewer than 3 targets: withheld", count=1)
        self.assertNotContains(response, "<dt>Mean target</dt><dd>5.0</dd>", html=False)
