"""E-mails go out from the worker: the request only queues them (after its commit)."""

from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments import services
from tests.base import PersonaTestCase
from tests.factories import make_assessment, make_framework


class EmailsOnTheWorkerTests(PersonaTestCase):
    def opened(self):
        """An assessment opened for two directors: their invitations queued, after the commit."""
        assessment = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive, self.non_executive],
            frameworks=[make_framework()],
            status="draft",
        )
        with self.captureOnCommitCallbacks(execute=True):
            services.open_assessment(assessment, by=self.secretary)
        return assessment

    @override_settings(EMAIL_TASK_BACKEND="database")
    def test_opening_queues_the_invitations_for_the_worker_and_sends_nothing_itself(self):
        assessment = self.opened()
        self.assertEqual(mail.outbox, [])
        task = DBTaskResult.objects.get()
        self.assertEqual((task.task_path, task.status), ("assessments.tasks.send_emails", "READY"))
        # The worker sends them and records when they went.
        from assessments.tasks import send_emails

        args = task.args_kwargs["args"]
        self.assertEqual(send_emails.call(*args), 2)
        self.assertEqual(len(mail.outbox), 2)
        self.assertEqual(assessment.respondents.filter(invitation_sent_at__isnull=False).count(), 2)

    @override_settings(EMAIL_TASK_BACKEND="database")
    def test_a_task_run_again_after_its_worker_died_sends_only_what_had_not_gone(self):
        assessment = self.opened()
        from assessments.tasks import send_emails

        queued = DBTaskResult.objects.get().args_kwargs
        args, kwargs = queued["args"], queued["kwargs"]
        # The first run sent the executive's and died before the non-executive's.
        first = assessment.respondents.get(user=self.executive)
        assessment.respondents.filter(pk=first.pk).update(invitation_sent_at=timezone.now())
        self.assertEqual(send_emails.call(*args, **kwargs), 1)
        self.assertEqual([m.to for m in mail.outbox], [[self.non_executive.email]])
        # A third run sends nothing.
        self.assertEqual(send_emails.call(*args, **kwargs), 0)
        self.assertEqual(len(mail.outbox), 1)
        # A reminder queued later is a new e-mail for everyone: only its own field counts.
        with self.captureOnCommitCallbacks(execute=True):
            services.send_reminders(assessment, by=self.secretary)
        reminder = DBTaskResult.objects.order_by("-enqueued_at").first()
        self.assertEqual(send_emails.call(*reminder.args_kwargs["args"], **reminder.args_kwargs["kwargs"]), 2)
