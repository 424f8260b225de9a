from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """The maturity report. It reads assessments and writes only its own tables (sealed
    reports, failed sealings, comparison figures, PDFs made on request);
    nothing imports it. It learns of a sign-off from the assessments app's signal."""

    name = "reporting"
    verbose_name = "Maturity reports"

    def ready(self) -> None:
        from django.tasks.signals import task_finished

        from assessments.signals import assessment_reopened, assessment_signed_off
        from reporting import receivers

        assessment_signed_off.connect(receivers.seal_on_sign_off, dispatch_uid="reporting.seal_on_sign_off")
        assessment_reopened.connect(receivers.forget_on_reopening, dispatch_uid="reporting.forget_on_reopening")
        task_finished.connect(receivers.record_task_given_up, dispatch_uid="reporting.record_task_given_up")
