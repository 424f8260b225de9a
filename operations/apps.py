from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The running service: health check, worker heartbeat, request and task logs."""

    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.tasks.signals import task_finished

        from operations import logs

        task_finished.connect(logs.task_finished, dispatch_uid="operations.task_finished")
