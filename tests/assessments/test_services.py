"""The workflow services: rules, bad input, history."""

import datetime

from django.core import mail
from django.utils import timezone

from assessments import services
from assessments.models import Action, Answer, Assessment, HistoryEntry, Respondent
from assessments.services import AgreedInput, AnswerInput, AssessmentDetails, AssessmentError, StaleVersion
from frameworks.models import Framework
from organisations.models import Membership
from tests.base import PersonaTestCase, add_member
from tests.factories import agree_all, answer_all, make_assessment, make_framework


def _answer(respondent, code="S1.1") -> Answer:
    return respondent.answers.select_related("respondent__assessment", "line__framework").get(line__code=code)


class SetUpTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=2, lines_per_section=2)

    def details(self, **changes) -> AssessmentDetails:
        values = {
            "title": "Board self-assessment",
            "period_start_year": 2026,
            "deadline": timezone.localdate() + datetime.timedelta(days=10),
            "anonymous": True,
            "frameworks": [self.framework],
        }
        values.update(changes)
        return AssessmentDetails(**values)

    def test_it_creates_a_draft_in_the_ics_in_force_at_the_start_of_the_period(self):
        assessment = services.create_assessment(self.trust, self.details(), by=self.secretary)
        self.assertEqual(assessment.status, Assessment.Status.DRAFT)
        self.assertEqual(assessment.ics, self.ics)
        self.assertEqual(assessment.period_label, "2026/27")
        self.assertTrue(assessment.anonymous)
        entry = assessment.history.get()
        self.assertEqual(
            (entry.actor, entry.action, entry.changes["title"]),
            (self.secretary, "created", [None, "Board self-assessment"]),
        )

    def test_bad_set_up_is_refused_and_writes_nothing(self):
        cases = [
            (self.details(deadline=timezone.localdate() - datetime.timedelta(days=1)), "The deadline is in the past"),
            (self.details(frameworks=[]), "Choose at least one framework"),
            (self.details(title="  "), "Give the assessment a title"),
            (self.details(frameworks=[make_framework(status=Framework.Status.DRAFT)]), "choose a current version"),
        ]
        for details, message in cases:
            with self.subTest(message=message), self.assertRaisesMessage(AssessmentError, message):
                services.create_assessment(self.trust, details, by=self.secretary)
        self.assertFalse(Assessment.objects.exists())

    def test_a_period_when_the_trust_did_not_exist_is_refused(self):
        from organisations.models import Organisation

        Organisation.objects.filter(pk=self.trust.pk).update(opened_on=datetime.date(2027, 4, 1))
        self.trust.refresh_from_db()
        with self.assertRaisesMessage(AssessmentError, "did not exist in 2026/27"):
            services.create_assessment(self.trust, self.details(), by=self.secretary)
        Organisation.objects.filter(pk=self.trust.pk).update(opened_on=None, closed_on=datetime.date(2026, 3, 31))
        self.trust.refresh_from_db()
        with self.assertRaisesMessage(AssessmentError, "did not exist in 2026/27"):
            services.create_assessment(self.trust, self.details(), by=self.secretary)
        # Closing during the period still leaves that period to assess.
        Organisation.objects.filter(pk=self.trust.pk).update(closed_on=datetime.date(2026, 6, 30))
        self.trust.refresh_from_db()
        services.create_assessment(self.trust, self.details(), by=self.secretary)

    def test_frameworks_with_the_same_codes_cannot_be_assessed_together(self):
        with self.assertRaisesMessage(AssessmentError, "use the same codes (S1, S1.1, S1.2"):
            services.create_assessment(
                self.trust, self.details(frameworks=[self.framework, make_framework()]), by=self.secretary
            )

    def test_reminders_go_to_those_who_have_not_submitted(self):
        assessment = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive, self.non_executive],
            frameworks=[self.framework],
        )
        done = assessment.respondents.get(user=self.executive)
        answer_all(done)
        services.submit_response(done, by=self.executive)
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(services.send_reminders(assessment, by=self.secretary), 1)
        self.assertEqual([m.to for m in mail.outbox], [["nonexecutive@example.org"]])
        self.assertTrue(mail.outbox[0].subject.startswith("Reminder: "))
        self.assertIsNotNone(assessment.respondents.get(user=self.non_executive).last_reminded_at)
        self.assertEqual(assessment.history.filter(action="reminded").get().changes, {"reminders sent": [None, 1]})

    def test_one_assessment_per_organisation_and_period(self):
        services.create_assessment(self.trust, self.details(), by=self.secretary)
        with self.assertRaisesMessage(AssessmentError, "already has an assessment for 2026/27"):
            services.create_assessment(self.trust, self.details(title="Again"), by=self.secretary)

    def test_lines_not_applicable_to_the_organisation_are_left_out(self):
        line = self.framework.lines.get(code="S2.2")
        line.organisation_types = ["mental-health"]
        line.save()
        assessment = services.create_assessment(self.trust, self.details(), by=self.secretary)  # an acute trust
        self.assertEqual([ln.code for ln in assessment.included_lines()], ["S1.1", "S1.2", "S2.1"])
        add_member(self.secretary, self.sibling, Membership.Role.SECRETARY)
        other = services.create_assessment(self.sibling, self.details(), by=self.secretary)  # mental health
        self.assertEqual(len(other.included_lines()), 4)

    def test_invitations_record_executive_status_and_email_when_open(self):
        assessment = services.create_assessment(self.trust, self.details(), by=self.secretary)
        members = Membership.objects.filter(user__in=[self.executive, self.non_executive])
        services.invite_respondents(assessment, members, by=self.secretary)
        self.assertEqual(mail.outbox, [])  # a draft sends nothing yet
        self.assertEqual(
            dict(assessment.respondents.values_list("user__username", "is_executive")),
            {"executive": True, "nonexecutive": False},
        )
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            services.open_assessment(assessment, by=self.secretary)
            # Nothing is sent while the transaction (and its row locks) is open.
            self.assertEqual(mail.outbox, [])
        self.assertEqual(len(callbacks), 1)
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), ["executive@example.org", "nonexecutive@example.org"])
        self.assertEqual(
            mail.outbox[0].subject, "North Hospitals NHS Trust: your scores for Board self-assessment (2026/27)"
        )
        self.assertEqual(assessment.respondents.filter(invitation_sent_at__isnull=False).count(), 2)
        self.assertIn("/organisations/RA1/assessments/2026/score/", mail.outbox[0].body)
        self.assertTrue(self.framework.__class__.objects.get(pk=self.framework.pk).is_in_use)
        self.assertEqual(Answer.objects.filter(respondent__assessment=assessment).count(), 2 * 4)

    def test_only_directors_of_the_organisation_can_be_invited(self):
        assessment = services.create_assessment(self.trust, self.details(), by=self.secretary)
        for membership in (Membership.objects.get(user=self.observer), Membership.objects.get(user=self.outsider)):
            with (
                self.subTest(user=membership.user.username),
                self.assertRaisesMessage(AssessmentError, "is not a director"),
            ):
                services.invite_respondents(assessment, [membership], by=self.secretary)
        self.assertFalse(assessment.respondents.exists())

    def test_start_from_last_year_carries_open_actions_only(self):
        last = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive],
            frameworks=[self.framework],
            year=2025,
            status="moderation",
        )
        agree_all(last, by=self.chair)
        line = self.framework.lines.get(code="S1.1")
        for status in ("open", "in-progress", "done"):
            services.save_action(
                last, services.ActionInput(line, None, f"Action {status}", "CEO", None, status), by=self.secretary
            )
        last = services.sign_off(last, by=self.chair)
        new = services.create_assessment(self.trust, self.details(), by=self.secretary, previous=last)
        self.assertEqual(
            sorted(new.actions.values_list("description", flat=True)), ["Action in-progress", "Action open"]
        )
        self.assertTrue(all(a.carried_from.assessment_id == last.pk for a in new.actions.all()))
        # Last year's agreed scores are a reference, never copied as this year's answers.
        self.assertFalse(new.agreed_scores.exists())


class ScoringTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=2, lines_per_section=2)
        cls.other_framework = make_framework(sections=1, lines_per_section=1)
        cls.assessment = make_assessment(
            cls.trust,
            secretary=cls.secretary,
            respondents=[cls.executive, cls.non_executive],
            frameworks=[cls.framework],
        )

    def setUp(self):
        self.respondent = Respondent.objects.get(assessment=self.assessment, user=self.executive)

    def save(self, level=3, *, dont_know=False, target=None, comment="", version=None, code="S1.1", by=None):
        answer = _answer(self.respondent, code)
        data = AnswerInput(level, dont_know, target, comment, answer.version if version is None else version)
        return services.save_answer(answer, data, by=by or self.executive)

    def test_it_saves_and_versions_each_answer_with_history(self):
        answer = self.save(3, target=4, comment="Fair")
        self.assertEqual((answer.level, answer.target_level, answer.comment, answer.version), (3, 4, "Fair", 1))
        answer = self.save(4, target=4)
        self.assertEqual(answer.version, 2)
        entry = HistoryEntry.objects.filter(subject="Answer").last()
        self.assertEqual(entry.respondent, self.respondent)
        self.assertEqual(entry.changes["level"], [3, 4])
        self.assertEqual(entry.line_code, "S1.1")

    def test_dont_know_is_not_a_level(self):
        answer = self.save(None, dont_know=True)
        self.assertEqual((answer.level, answer.dont_know), (None, True))

    def test_bad_answers_are_refused_and_change_nothing(self):
        cases = [
            ({"level": 6}, "The score must be a level from 1 to 5; 6 is not on the scale"),
            ({"level": 0}, "The score must be a level from 1 to 5"),
            ({"level": 3, "target": 2}, "The target level (2) cannot be below the current level (3)"),
            ({"level": 3, "target": 9}, "The target must be a level from 1 to 5"),
            ({"level": 3, "comment": "x" * 10_001}, "The comment is 10,001 characters long; the most is 10,000"),
        ]
        for kwargs, message in cases:
            with self.subTest(message=message), self.assertRaisesMessage(AssessmentError, message):
                self.save(**kwargs)
        answer = _answer(self.respondent)
        self.assertEqual((answer.level, answer.version, answer.comment), (None, 0, ""))
        self.assertFalse(HistoryEntry.objects.filter(subject="Answer").exists())

    def test_a_stale_version_is_refused_and_the_current_answer_returned(self):
        self.save(2)  # version 1, from one tab
        with self.assertRaises(StaleVersion) as ctx:
            self.save(5, version=0)  # another tab still holds version 0
        self.assertEqual(ctx.exception.current.level, 2)
        self.assertIn("changed elsewhere", str(ctx.exception))
        self.assertEqual(_answer(self.respondent).level, 2)

    def test_nobody_else_can_save_a_directors_answer(self):
        with self.assertRaisesMessage(AssessmentError, "only your own answers"):
            self.save(3, by=self.non_executive)

    def test_submit_needs_every_line_answered_and_happens_once(self):
        self.save(3)
        with self.assertRaisesMessage(AssessmentError, "3 lines are not answered yet (S1.2, S2.1, S2.2)"):
            services.submit_response(self.respondent, by=self.executive)
        answer_all(self.respondent)
        services.submit_response(self.respondent, by=self.executive)
        with self.assertRaisesMessage(AssessmentError, "You have already submitted"):
            services.submit_response(self.respondent, by=self.executive)
        with self.assertRaisesMessage(AssessmentError, "Reopen them to make changes"):
            self.save(4)
        services.reopen_response(self.respondent, by=self.executive)
        self.assertEqual(self.save(4).level, 4)

    def test_transitions_out_of_order_are_refused(self):
        with self.assertRaisesMessage(
            AssessmentError, "You cannot sign the assessment off while the assessment is open"
        ):
            services.sign_off(self.assessment, by=self.chair)
        with self.assertRaisesMessage(AssessmentError, "You cannot open the assessment for scoring while"):
            services.open_assessment(self.assessment, by=self.secretary)
        with self.assertRaisesMessage(AssessmentError, "No director has submitted yet"):
            services.start_moderation(self.assessment, by=self.secretary)
        with self.assertRaisesMessage(AssessmentError, "You cannot record agreed scores while"):
            services.record_agreed_score(
                self.assessment,
                self.framework.lines.first(),
                AgreedInput(3, False, "", None, None, "", None),
                by=self.secretary,
            )
        with self.assertRaisesMessage(AssessmentError, "does not allow you to start moderation"):
            services.start_moderation(self.assessment, by=self.executive)
        self.assessment.refresh_from_db()
        self.assertEqual(self.assessment.status, Assessment.Status.OPEN)

    def test_a_removed_director_keeps_answers_but_is_not_counted(self):
        self.save(5)
        services.remove_respondent(self.respondent, by=self.secretary)
        self.assertEqual(_answer(self.respondent).level, 5)
        with self.assertRaisesMessage(AssessmentError, "no longer a respondent"):
            self.save(4)
        self.assertEqual(self.assessment.respondents.active().count(), 1)


class ModerationTests(PersonaTestCase):
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
        cls.line = cls.framework.lines.get(code="S1.1")

    def agree(self, **kwargs):
        line = kwargs.pop("line", self.line)
        values = {
            "level": 3,
            "not_assessed": False,
            "not_assessed_reason": "",
            "target_level": None,
            "target_date": None,
            "rationale": "",
            "version": None,
        }
        values.update(kwargs)
        return services.record_agreed_score(self.assessment, line, AgreedInput(**values), by=self.secretary)

    def test_directors_cannot_change_scores_once_moderation_starts(self):
        respondent = Respondent.objects.get(assessment=self.assessment, user=self.executive)
        answer = _answer(respondent)
        with self.assertRaisesMessage(
            AssessmentError, "You cannot change your scores while the assessment is moderation"
        ):
            services.save_answer(answer, AnswerInput(1, False, None, "", answer.version), by=self.executive)
        with self.assertRaisesMessage(AssessmentError, "You cannot reopen your scores"):
            services.reopen_response(respondent, by=self.executive)

    def test_agreed_scores_are_versioned_and_recorded(self):
        score = self.agree(level=3, target_level=4, target_date=datetime.date(2027, 3, 31), rationale="Evidence seen")
        self.assertEqual((score.level, score.target_level, score.version), (3, 4, 1))
        score = self.agree(level=2, version=1)
        self.assertEqual((score.level, score.version), (2, 2))
        with self.assertRaises(StaleVersion):
            self.agree(level=4, version=1)
        entries = self.assessment.history.filter(subject="Agreed score")
        self.assertEqual([e.action for e in entries], ["created", "changed"])
        self.assertEqual(entries.last().changes["level"], [3, 2])

    def test_bad_agreed_scores_are_refused(self):
        other = make_framework(sections=1, lines_per_section=1).lines.get()
        cases = [
            ({"level": 7}, "7 is not on the scale"),
            ({"level": 3, "target_level": 2}, "cannot be below the current level"),
            ({"level": None}, "Choose the agreed level"),
            ({"level": None, "not_assessed": True}, "Say why the line is not assessed"),
        ]
        for kwargs, message in cases:
            with self.subTest(message=message), self.assertRaisesMessage(AssessmentError, message):
                self.agree(**kwargs)
        with self.assertRaisesMessage(AssessmentError, "is not part of this assessment"):
            services.record_agreed_score(
                self.assessment, other, AgreedInput(3, False, "", None, None, "", None), by=self.secretary
            )
        self.assertFalse(self.assessment.agreed_scores.exists())

    def test_sign_off_needs_every_line_agreed_or_not_assessed_and_the_chair(self):
        self.agree(level=3)
        with self.assertRaisesMessage(AssessmentError, "3 lines have no agreed score yet (S1.2, S2.1, S2.2)"):
            services.sign_off(self.assessment, by=self.chair)
        for code in ("S1.2", "S2.1"):
            self.agree(line=self.framework.lines.get(code=code), level=2)
        self.agree(
            line=self.framework.lines.get(code="S2.2"),
            level=None,
            not_assessed=True,
            not_assessed_reason="New this year; no data yet.",
        )
        with self.assertRaisesMessage(AssessmentError, "does not allow you to sign the assessment off"):
            services.sign_off(self.assessment, by=self.secretary)
        services.sign_off(self.assessment, by=self.chair)
        self.assessment.refresh_from_db()
        self.assertEqual((self.assessment.status, self.assessment.signed_off_by), ("signed_off", self.chair))
        self.assertIsNotNone(self.assessment.signed_off_at)

    def test_actions_need_an_owner_and_a_target_of_this_assessment(self):
        with self.assertRaisesMessage(AssessmentError, "needs a description and an owner"):
            services.save_action(
                self.assessment, services.ActionInput(self.line, None, "Do it", " ", None, "open"), by=self.secretary
            )
        action = services.save_action(
            self.assessment, services.ActionInput(self.line, None, "Do it", "CFO", None, "open"), by=self.secretary
        )
        changed = services.save_action(
            self.assessment,
            services.ActionInput(self.line, None, "Do it", "CFO", None, "done", version=1),
            by=self.chair,
            action=action,
        )
        self.assertEqual((changed.status, changed.version), (Action.Status.DONE, 2))
        with self.assertRaises(StaleVersion):
            services.save_action(
                self.assessment,
                services.ActionInput(self.line, None, "Undo", "CFO", None, "open", version=1),
                by=self.chair,
                action=action,
            )

    def test_history_is_append_only(self):
        entry = self.assessment.history.first()
        entry.note = "rewritten"
        with self.assertRaises(PermissionError):
            entry.save()
        with self.assertRaises(PermissionError):
            entry.delete()
        with self.assertRaises(PermissionError):
            HistoryEntry.objects.filter(pk=entry.pk).update(note="x")
