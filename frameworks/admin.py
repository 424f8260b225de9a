"""Admin for the framework library.

Framework content normally arrives through `load_frameworks` from reviewed files; the
admin is for looking, and for small fixes to a version nobody uses yet. A version in
use (and a scale such a version uses) is read-only here, as in the loader.
"""

from django.contrib import admin
from django.http import HttpRequest

from frameworks.models import Framework, Level, Line, LineLevelDescriptor, Scale, Section


def _frozen(obj) -> bool:
    if obj is None:
        return False
    if isinstance(obj, Framework):
        return obj.is_in_use
    if isinstance(obj, Scale):
        return obj.is_in_use
    return obj.framework.is_in_use


class FrozenWhenInUse:
    """View-only when the object belongs to a framework version that assessments use."""

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)


class FrozenInline(FrozenWhenInUse):
    """Inlines receive the parent object; no rows may be added to a frozen parent."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return not _frozen(obj) and super().has_add_permission(request, obj)


class LevelInline(FrozenInline, admin.TabularInline):
    model = Level
    extra = 0


@admin.register(Scale)
class ScaleAdmin(FrozenWhenInUse, admin.ModelAdmin):
    list_display = ["name", "slug", "version"]
    inlines = [LevelInline]


class SectionInline(FrozenInline, admin.TabularInline):
    model = Section
    extra = 0
    fields = ["order", "code", "title", "question"]


@admin.register(Framework)
class FrameworkAdmin(FrozenWhenInUse, admin.ModelAdmin):
    list_display = ["title", "version", "slug", "status", "effective_date", "in_use_since"]
    list_filter = ["status", "slug"]
    search_fields = ["title", "slug", "version", "publisher"]
    readonly_fields = ["in_use_since", "source_file"]
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(FrozenWhenInUse, admin.ModelAdmin):
    list_display = ["code", "title", "framework", "order"]
    list_filter = ["framework"]
    search_fields = ["code", "title", "question"]
    list_select_related = ["framework"]


class LineLevelDescriptorInline(FrozenInline, admin.TabularInline):
    model = LineLevelDescriptor
    extra = 0


@admin.register(Line)
class LineAdmin(FrozenWhenInUse, admin.ModelAdmin):
    list_display = ["code", "section", "framework", "short_text", "order"]
    list_filter = ["framework", "section__code"]
    search_fields = ["code", "text", "guidance"]
    list_select_related = ["framework", "section"]
    inlines = [LineLevelDescriptorInline]

    @admin.display(description="text")
    def short_text(self, obj: Line) -> str:
        return obj.text if len(obj.text) <= 90 else obj.text[:87] + "…"
