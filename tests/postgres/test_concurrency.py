"""Autosave under real concurrency: directors' tabs in parallel processes on PostgreSQL.

`services.save_answer` checks the answer's version in the same UPDATE that writes it,
so of two saves from the same version exactly one lands and the other gets
StaleVersion. Tests in one process cannot show that (a second save waits for the
first one's row lock only when they run at the same time); these start worker
processes, each with its own connection to the test database, and then check the
database against every save the workers were told had succeeded.

The workers are spawned, not forked: each starts a fresh interpreter and sets Django
up (the pool's initializer) before it reads its task, which imports this module.

PostgreSQL only: an in-memory SQLite test database cannot be shared between
processes. tests/postgres/conftest.py leaves this folder out of a SQLite run; the
PostgreSQL pass of `.ci/run` runs it.
"""

from __future__ import annotations

import copy
import multiprocessing
from collections import Counter, defaultdict
from typing import NamedTuple

import django
from django.contrib.auth.models import User
from django.db import connection, connections
from django.test import TransactionTestCase

from assessments import services
from assessments.models import Answer, HistoryEntry
from assessments.services import AnswerInput, StaleVersion
from organisations.models import Membership
from tests.base import add_member, make_ics, make_org, make_user
from tests.factories import make_assessment, make_framework

DIRECTORS = 20
PROCESSES = 4
ROUNDS = 10
# Every STALE_EVERY-th round each tab also saves from a copy of the page it had before
# its last save, as a second tab left open would: that save must always be refused.
STALE_EVERY = 2
TWO_TAB_ROUNDS = 40
# Levels run 1-5 on the factories' scale; passing the top saves a query per save.
TOP_LEVEL = 5
# A worker that hangs fails the test instead of the run.
TIMEOUT = 120


class Saved(NamedTuple):
    """A save the worker was told had succeeded: the call returned without an error."""

    answer_id: int
    version: int
    level: int
    comment: str


class Tally(NamedTuple):
    saved: list[Saved]
    attempts: int
    stale: int
    old_page_attempts: int
    old_page_refused: int


def _connect_to(database: str) -> None:
    """Point this worker at the parent's test database (the settings name the real one)."""
    connections.close_all()
    connection.settings_dict["NAME"] = database
    # Commits still happen in order and are seen at once by the other sessions; they
    # just do not wait for the disk, which a throwaway test database does not need.
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")


def _load_answers(user_id: int) -> dict[int, Answer]:
    answers = Answer.objects.select_related("respondent__assessment", "line").filter(respondent__user_id=user_id)
    return {answer.pk: answer for answer in answers.order_by("pk")}


def _autosave(database: str, together, worker: int, tabs: list[int]) -> Tally:
    """One process with one tab open for each director in `tabs`: every round, each tab
    autosaves each of its director's lines; the director's other tab is in another
    process doing the same. A tab that gets StaleVersion shows the saved answer and
    carries on from it, as the page does."""
    _connect_to(database)
    try:
        users = User.objects.in_bulk(tabs)
        pages = {user_id: _load_answers(user_id) for user_id in tabs}
        saved: list[Saved] = []
        attempts = stale = old_attempts = old_refused = 0
        for round_ in range(ROUNDS):
            # Every round starts together, so that the two tabs of a director meet.
            together.wait(timeout=TIMEOUT)
            for user_id in tabs:
                by = users[user_id]
                page = pages[user_id]
                for answer_id, answer in page.items():
                    old_page = copy.copy(answer) if round_ % STALE_EVERY == STALE_EVERY - 1 else None
                    level = 1 + (round_ + answer_id + worker) % TOP_LEVEL
                    comment = f"worker {worker}, director {user_id}, round {round_}"
                    attempts += 1
                    try:
                        result = services.save_answer(
                            answer, AnswerInput(level, False, None, comment, answer.version), by=by, max_level=TOP_LEVEL
                        )
                    except StaleVersion as exc:
                        stale += 1
                        page[answer_id] = exc.current
                    else:
                        saved.append(Saved(answer_id, result.version, level, comment))
                    if old_page is not None:
                        old_attempts += 1
                        old_comment = f"{comment}, old page"
                        try:
                            result = services.save_answer(
                                old_page,
                                AnswerInput(level, False, None, old_comment, old_page.version),
                                by=by,
                                max_level=TOP_LEVEL,
                            )
                        except StaleVersion:
                            old_refused += 1
                        else:
                            saved.append(Saved(answer_id, result.version, level, old_comment))
        return Tally(saved, attempts, stale, old_attempts, old_refused)
    finally:
        connections.close_all()


def _two_tabs(database: str, together, tab: int, user_id: int) -> list[Saved | None]:
    """One of two tabs of the same director: each round both load the same answer,
    wait for each other, then save it from the version they loaded. Returns, round by
    round, the save or None if it was refused as stale."""
    _connect_to(database)
    try:
        by = User.objects.get(pk=user_id)
        answer_ids = list(_load_answers(user_id))
        outcomes: list[Saved | None] = []
        for round_ in range(TWO_TAB_ROUNDS):
            answer_id = answer_ids[round_ % len(answer_ids)]
            answer = Answer.objects.select_related("respondent__assessment", "line").get(pk=answer_id)
            together.wait(timeout=TIMEOUT)
            level = 1 + (round_ + tab) % TOP_LEVEL
            comment = f"tab {tab}, round {round_}"
            try:
                result = services.save_answer(
                    answer, AnswerInput(level, False, None, comment, answer.version), by=by, max_level=TOP_LEVEL
                )
            except StaleVersion:
                outcomes.append(None)
            else:
                outcomes.append(Saved(answer_id, result.version, level, comment))
        return outcomes
    finally:
        connections.close_all()


class ConcurrentAutosaveTests(TransactionTestCase):
    def setUp(self):
        trust = make_org("RA1", "North Hospitals NHS Trust", make_ics("QAA", "North"))
        secretary = make_user("secretary")
        add_member(secretary, trust, Membership.Role.SECRETARY)
        self.directors = [make_user(f"director{n:02d}") for n in range(DIRECTORS)]
        for director in self.directors:
            add_member(director, trust, Membership.Role.DIRECTOR, Membership.DirectorKind.NON_EXECUTIVE)
        # Four lines each: 80 answers, every one of them saved from two processes.
        self.assessment = make_assessment(
            trust,
            secretary=secretary,
            respondents=self.directors,
            frameworks=[make_framework(sections=2, lines_per_section=2)],
        )
        self.database = connection.settings_dict["NAME"]

    def run_workers(self, function, arguments: list[tuple]) -> list:
        """Run `function` once in each of len(arguments) spawned processes at the same
        time (they wait for each other on the barrier passed as `together`). Each process
        sets Django up before it reads its task, then connects to this test's database."""
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager, context.Pool(len(arguments), initializer=django.setup) as pool:
            together = manager.Barrier(len(arguments))
            tasks = [(self.database, together, *task) for task in arguments]
            return pool.starmap_async(function, tasks, chunksize=1).get(timeout=TIMEOUT)

    def answers(self) -> dict[int, Answer]:
        return {a.pk: a for a in Answer.objects.filter(respondent__assessment=self.assessment)}

    def test_it_keeps_every_acknowledged_save_and_lets_no_stale_one_through(self):
        # Each director has two tabs open, in the two processes of a pair that go through
        # the same answers in the same order, so that their saves often meet.
        plan: list[list[int]] = [[] for _ in range(PROCESSES)]
        for n, director in enumerate(self.directors):
            pair = n % (PROCESSES // 2)
            plan[2 * pair].append(director.pk)
            plan[2 * pair + 1].append(director.pk)
        tallies: list[Tally] = self.run_workers(_autosave, list(enumerate(plan)))

        answers = self.answers()
        lines = len(answers) // DIRECTORS
        self.assertEqual(sum(t.attempts for t in tallies), DIRECTORS * 2 * lines * ROUNDS)
        old_page_attempts = DIRECTORS * 2 * lines * (ROUNDS // STALE_EVERY)
        self.assertEqual(sum(t.old_page_attempts for t in tallies), old_page_attempts)
        self.assertEqual(sum(t.old_page_refused for t in tallies), old_page_attempts, "a stale save was accepted")

        saved: dict[int, list[Saved]] = defaultdict(list)
        for tally in tallies:
            for save in tally.saved:
                saved[save.answer_id].append(save)
        self.assertEqual(set(saved), set(answers), "every answer has at least one acknowledged save")
        shared_versions, lost, overwritten = [], [], []
        for answer_id, answer in answers.items():
            versions = Counter(save.version for save in saved[answer_id])
            shared_versions += [(answer_id, v) for v, n in versions.items() if n > 1]
            # The version counts the saves that landed: one per acknowledged save.
            if answer.version != len(saved[answer_id]):
                lost.append((answer_id, answer.version, len(saved[answer_id])))
            latest = max(saved[answer_id], key=lambda save: save.version)
            if (answer.version, answer.level, answer.comment) != (latest.version, latest.level, latest.comment):
                overwritten.append((answer_id, answer.version, answer.comment, latest))
        self.assertEqual(shared_versions, [], "two acknowledged saves of one answer share a version")
        self.assertEqual(lost, [], "answer version differs from the number of acknowledged saves")
        self.assertEqual(overwritten, [], "the saved answer is not the latest acknowledged save")
        # The history has one entry per acknowledged save, none for a refused one.
        history = Counter(
            HistoryEntry.objects.filter(assessment=self.assessment, action="changed", subject="Answer").values_list(
                "subject_id", flat=True
            )
        )
        self.assertEqual(history, Counter({answer_id: len(saves) for answer_id, saves in saved.items()}))

    def test_it_lets_exactly_one_of_two_tabs_save_from_the_same_version(self):
        director = self.directors[0]
        first, second = self.run_workers(_two_tabs, [(0, director.pk), (1, director.pk)])

        self.assertEqual((len(first), len(second)), (TWO_TAB_ROUNDS, TWO_TAB_ROUNDS))
        winners = []
        for round_, saves in enumerate(zip(first, second, strict=True)):
            landed = [save for save in saves if save is not None]
            self.assertEqual(len(landed), 1, f"round {round_}: {len(landed)} of two saves from one version landed")
            winners += landed
        # Each round's winner saved the next version, and the last one is what is stored.
        answers = list(Answer.objects.filter(respondent__user=director, respondent__assessment=self.assessment))
        for answer in answers:
            won = [save for save in winners if save.answer_id == answer.pk]
            self.assertEqual([save.version for save in won], list(range(1, TWO_TAB_ROUNDS // len(answers) + 1)))
            self.assertEqual(
                (answer.version, answer.level, answer.comment), (won[-1].version, won[-1].level, won[-1].comment)
            )
