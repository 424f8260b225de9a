from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # Reference data must not move an assessment to another ICS after the event.
        from assessments.models import Assessment
        from organisations import pins

        pins.register(Assessment)
