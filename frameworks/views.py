from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from frameworks.models import Framework, Line, LineLevelDescriptor, Section


def framework_list(request: HttpRequest) -> HttpResponse:
    frameworks = Framework.objects.with_counts().select_related("scale").order_by("title", "-effective_date")
    return render(request, "frameworks/framework_list.html", {"frameworks": frameworks})


def framework_detail(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    # Six queries whatever the size of the framework: the framework with its scale,
    # the scale's levels, the sections, their lines, the lines' level descriptors, and
    # the other versions of the framework.
    lines = Line.objects.order_by("order").prefetch_related(
        Prefetch("level_descriptors", LineLevelDescriptor.objects.select_related("level"))
    )
    framework = get_object_or_404(
        Framework.objects.select_related("scale").prefetch_related(
            "scale__levels",
            Prefetch("sections", Section.objects.order_by("order").prefetch_related(Prefetch("lines", lines))),
        ),
        slug=slug,
        version=version,
    )
    other_versions = Framework.objects.filter(slug=slug).exclude(pk=framework.pk).order_by("-effective_date")
    return render(
        request,
        "frameworks/framework_detail.html",
        {"framework": framework, "levels": framework.scale.levels.all(), "other_versions": other_versions},
    )
