"""Idempotent writes for the reference-data loaders (frameworks, organisations)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass
class Tally:
    """What a load changed, counted in rows."""

    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


def upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any], tally: Tally):
    """Create the row matched by `lookup`, or update only the fields whose value differs,
    so that loading the same data twice writes nothing the second time."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        tally.created += 1
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        tally.updated += 1
    return obj
