"""A board for report tests: the personas plus enough directors for figures to show
(three executives, three non-executives), and assessments built through the services."""

from __future__ import annotations

import tempfile

from django.test import override_settings

from assessments import services
from assessments.models import Assessment
from organisations.models import Membership
from tests.base import PersonaTestCase, add_member, make_org, make_user
from tests.factories import make_assessment, make_framework

Kind = Membership.DirectorKind


class ReportTestCase(PersonaTestCase):
    def setUp(self):
        super().setUp()
        # Each test's sealed files in a folder of its own.
        media = self.enterContext(tempfile.TemporaryDirectory(prefix="ics-report-media-"))
        self.enterContext(override_settings(MEDIA_ROOT=media))

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.executive2 = make_user("executive2", first_name="Erin", last_name="Exec")
        cls.executive3 = make_user("executive3", first_name="Ezra", last_name="Exec")
        cls.non_executive2 = make_user("nonexecutive2", first_name="Nia", last_name="Ned")
        cls.non_executive3 = make_user("nonexecutive3", first_name="Noor", last_name="Ned")
        add_member(cls.executive2, cls.trust, "director", Kind.EXECUTIVE)
        add_member(cls.executive3, cls.trust, "director", Kind.EXECUTIVE)
        add_member(cls.non_executive2, cls.trust, "director", Kind.NON_EXECUTIVE)
        add_member(cls.non_executive3, cls.trust, "director", Kind.NON_EXECUTIVE)
        cls.framework = make_framework(slug="board", sections=3, lines_per_section=2)
        cls.board = [
            cls.executive,
            cls.executive2,
            cls.executive3,
            cls.non_executive,
            cls.non_executive2,
            cls.non_executive3,
        ]

    @classmethod
    def scored(
        cls,
        *,
        organisation=None,
        year: int = 2025,
        scores: dict | None = None,
        agreed: dict | None = None,
        sign_off: bool = True,
        previous: Assessment | None = None,
        submit: list | None = None,
        frameworks=None,
    ) -> Assessment:
        """An assessment scored by the board: `scores` maps a user to {line code: level}
        (default: every director gives 3 everywhere); `agreed` maps a line code to its
        agreed level, or to None for "not assessed" (default 3)."""
        organisation = organisation or cls.trust
        secretary = cls.secretary if organisation == cls.trust else organisation.memberships.get(role="secretary").user
        chair = cls.chair if organisation == cls.trust else organisation.memberships.get(role="chair").user
        respondents = list(scores) if scores else cls.board
        assessment = make_assessment(
            organisation,
            secretary=secretary,
            respondents=respondents,
            frameworks=frameworks or [cls.framework],
            year=year,
            previous=previous,
        )
        lines = assessment.included_lines()
        for respondent in assessment.respondents.select_related("user"):
            levels = (scores or {}).get(respondent.user, {})
            for answer in respondent.answers.select_related("line__framework", "respondent__assessment"):
                level = levels.get(answer.line.code, 3)
                services.save_answer(
                    answer, services.AnswerInput(level, False, None, "", answer.version), by=respondent.user
                )
            if submit is None or respondent.user in submit:
                services.submit_response(respondent, by=respondent.user)
        services.start_moderation(assessment, by=secretary)
        for line in lines:
            level = (agreed or {}).get(line.code, 3)
            data = services.AgreedInput(
                level,
                level is None,
                "Not covered this year." if level is None else "",
                min(5, level + 1) if level else None,
                None,
                "Agreed at the board session.",
                None,
            )
            services.record_agreed_score(assessment, line, data, by=chair)
        if sign_off:
            # As after a real commit: the summary rows are written and the sealing queued.
            with cls.captureOnCommitCallbacks(execute=True):
                assessment = services.sign_off(assessment, by=chair)
        assessment.refresh_from_db()
        return assessment

    @classmethod
    def peer(cls, code: str, *, year: int = 2025, level: int = 3, frameworks=None) -> Assessment:
        """Another trust of the same ICS, signed off with every line agreed at `level`."""
        from organisations.models import Organisation

        trust = Organisation.objects.filter(ods_code=code).first()
        if trust is None:  # the first of its years
            trust = make_org(code, f"Peer {code} NHS Trust", cls.ics)
            add_member(make_user(f"sec-{code}"), trust, "secretary")
            add_member(make_user(f"chair-{code}"), trust, "chair")
            add_member(make_user(f"dir-{code}"), trust, "director", Kind.EXECUTIVE)
        director = trust.memberships.get(role="director").user
        frameworks = frameworks or [cls.framework]
        codes = [line.code for framework in frameworks for line in framework.lines.all()]
        return cls.scored(
            organisation=trust,
            year=year,
            scores={director: {}},
            agreed=dict.fromkeys(codes, level),
            frameworks=frameworks,
        )
