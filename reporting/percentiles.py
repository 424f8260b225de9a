"""Quartiles of a column per group, worked out by the database where it can.

PostgreSQL has `percentile_cont`; SQLite has no percentile function, so there the values
are read and the same interpolation is done in Python (`statistics.quantiles` with the
inclusive method is percentile_cont's: linear between the closest ranks, never outside
the data). One function, the same answer on both: tests run it on each.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, QuerySet

from reporting.rollup import one_decimal


def _round(value: float) -> Decimal:
    """To one decimal, half up, after dropping float noise (2.7499999999999996 is 2.75),
    so that PostgreSQL's and Python's arithmetic round the same way."""
    return one_decimal(round(float(value), 6))


@dataclass(frozen=True)
class Quartiles:
    count: int
    lower: Decimal
    median: Decimal
    upper: Decimal


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: percentile_cont(f) WITHIN GROUP (ORDER BY x)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile is a fraction from 0 to 1.")
        super().__init__(expression, fraction=fraction, **extra)


def quartiles(queryset: QuerySet, *, group_by: Sequence[str], value: str) -> dict[tuple, Quartiles]:
    """Per group of `group_by` values: how many non-empty `value`s, and their lower
    quartile, median and upper quartile, to one decimal (half up). One query."""
    queryset = queryset.filter(**{f"{value}__isnull": False})
    if connection.vendor == "postgresql":
        rows = (
            queryset.order_by()
            .values(*group_by)
            .annotate(
                n=Count(value),
                q1=PercentileCont(value, 0.25),
                q2=PercentileCont(value, 0.5),
                q3=PercentileCont(value, 0.75),
            )
        )
        return {
            tuple(row[field] for field in group_by): Quartiles(
                row["n"], _round(row["q1"]), _round(row["q2"]), _round(row["q3"])
            )
            for row in rows
        }
    values: dict[tuple, list[float]] = defaultdict(list)
    for row in queryset.order_by().values_list(*group_by, value):
        values[row[:-1]].append(float(row[-1]))
    return {key: _in_python(found) for key, found in values.items()}


def _in_python(values: list[float]) -> Quartiles:
    if len(values) == 1:
        only = _round(values[0])
        return Quartiles(1, only, only, only)
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Quartiles(len(values), _round(q1), _round(q2), _round(q3))
