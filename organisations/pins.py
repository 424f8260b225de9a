"""Records that are pinned to the ICS an organisation was in on a date.

An assessment-like record keeps the primary ICS of its organisation at the start of
its period, so that a comparison uses the system the organisation belonged to that
year. Reference data must never move such a record to another ICS after the event
(organisations/loading.py refuses the file instead). This app cannot name the apps
that build on it, so they declare their pinned models here, in their AppConfig.ready
(`pins.register(Assessment)`): a model with a foreign key `organisation`, a foreign key
`ics` and a `period_start_year`, pinned on 1 April of that year (the start of the NHS
financial year) to the ICS it holds.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models

from organisations.models import IntegratedCareSystem, Organisation

PERIOD_START_MONTH, PERIOD_START_DAY = 4, 1


@dataclass(frozen=True)
class Pin:
    organisation: Organisation
    on: datetime.date
    ics: IntegratedCareSystem | None
    label: str  # e.g. "assessment for 2026/27"


_registered: list[type[models.Model]] = []


def register(model: type[models.Model]) -> None:
    """Declare a model pinned to its organisation's ICS (see the module docstring)."""
    for name in ("organisation", "ics", "period_start_year"):
        model._meta.get_field(name)  # FieldDoesNotExist names a model that does not fit
    if model not in _registered:
        _registered.append(model)


def pinned_models() -> list[type[models.Model]]:
    return list(_registered)


def pinned_records() -> Iterator[Pin]:
    for model in pinned_models():
        for record in model._base_manager.select_related("organisation", "ics").order_by("pk"):
            year = record.period_start_year
            label = f"{model._meta.verbose_name} for {year}/{(year + 1) % 100:02d}"
            on = datetime.date(year, PERIOD_START_MONTH, PERIOD_START_DAY)
            yield Pin(record.organisation, on, record.ics, label)
