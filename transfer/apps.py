from django.apps import AppConfig


class TransferConfig(AppConfig):
    """Export and import of one whole assessment as a versioned zip (transfer/archive.py).
    No models: it reads and writes the assessments and reporting apps' tables, which is why
    it is an app of its own and not part of either."""

    name = "transfer"
    verbose_name = "Assessment export and import"
