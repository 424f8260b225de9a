"""How figures roll up (product.md), as small pure functions the report, the exports and
the director's page share.

- A line's result is the board's agreed level; "not assessed" is left out and counted.
- A section's maturity is the mean of its agreed line levels, to one decimal, with the
  count of lines it rests on and the level name ("3.4 · Established").
- A framework's overall maturity is the mean of its section maturities, as printed (so a
  reader can check it by hand from the figures on the page).

Rounding is half up (3.25 → 3.3), as people round, not Python's round-half-even.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

ONE_PLACE = Decimal("0.1")


def one_decimal(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def mean_of(values: Iterable[float | Decimal | int | None]) -> Decimal | None:
    """The mean of the values given, to one decimal; None when there are none."""
    present = [Decimal(str(v)) for v in values if v is not None]
    if not present:
        return None
    return one_decimal(sum(present) / len(present))


def level_name(value: Decimal | float | None, names: dict[int, str]) -> str:
    """The level a mean has reached: levels are cumulative, so 3.4 is Established (3)
    on its way to Embedded, not "nearly Embedded"."""
    if value is None or not names:
        return ""
    reached = max((number for number in names if number <= value), default=min(names))
    return names[reached]


def spread(values: Sequence[float]) -> tuple[Decimal, Decimal, Decimal] | None:
    """Lower quartile, median and upper quartile (inclusive method: with three values the
    quartiles sit between them, not outside the data)."""
    if len(values) < 2:
        return None
    q1, median, q3 = statistics.quantiles([float(v) for v in values], n=4, method="inclusive")
    return one_decimal(q1), one_decimal(median), one_decimal(q3)
