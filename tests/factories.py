"""Plain functions that build test data (djangoproject.com's style, no factory_boy)."""

from __future__ import annotations

import datetime
import itertools

from frameworks.models import Framework, Level, Line, Scale, Section

_counter = itertools.count(1)

LEVEL_NAMES = ["Emerging", "Developing", "Established", "Embedded", "Exemplary"]


def make_scale(slug: str = "test-scale") -> Scale:
    scale = Scale.objects.create(slug=slug, name=f"Scale {slug}")
    for number, name in enumerate(LEVEL_NAMES, start=1):
        Level.objects.create(scale=scale, number=number, name=name, descriptor=f"{name} descriptor")
    return scale


def make_framework(
    *,
    slug: str | None = None,
    version: str = "1",
    sections: int = 2,
    lines_per_section: int = 3,
    scale: Scale | None = None,
    status: str = Framework.Status.CURRENT,
) -> Framework:
    n = next(_counter)
    framework = Framework.objects.create(
        slug=slug or f"framework-{n}",
        version=version,
        title=f"Framework {n}",
        publisher="Test publisher",
        source_url="https://example.org/framework",
        licence="Test licence",
        attribution="Test attribution",
        status=status,
        effective_date=datetime.date(2024, 4, 1),
        scale=scale or make_scale(f"scale-{n}"),
    )
    for s in range(1, sections + 1):
        section = Section.objects.create(
            framework=framework, code=f"S{s}", title=f"Section {s}", question=f"Question {s}?", order=s
        )
        for i in range(1, lines_per_section + 1):
            Line.objects.create(framework=framework, section=section, code=f"S{s}.{i}", text=f"Line {s}.{i}", order=i)
    return framework
