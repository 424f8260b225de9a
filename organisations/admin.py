"""Admin for organisations, ICSs, memberships and consultant assignments.

Reference data (ICSs, trusts, ICS memberships) comes from `load_organisations`;
people and their roles are managed here. Every membership and assignment records
who created it, and Django's admin log records every change.
"""

from django.contrib import admin

from organisations.models import (
    ConsultantAssignment,
    IcsMembership,
    IcsSuccession,
    IntegratedCareSystem,
    Membership,
    Organisation,
    OrganisationName,
)


class RecordsCreator:
    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            if obj.pk is None and hasattr(obj, "created_by"):
                obj.created_by = request.user
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class IcsMembershipInline(admin.TabularInline):
    model = IcsMembership
    extra = 0
    autocomplete_fields = ["ics"]


class OrganisationNameInline(admin.TabularInline):
    model = OrganisationName
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "organisation"
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "director_kind", "job_title"]


@admin.register(Organisation)
class OrganisationAdmin(RecordsCreator, admin.ModelAdmin):
    list_display = ["name", "ods_code", "type", "foundation_trust", "opened_on", "closed_on"]
    list_filter = ["type", "foundation_trust"]
    search_fields = ["name", "ods_code"]
    inlines = [OrganisationNameInline, IcsMembershipInline, MembershipInline]


class PredecessorInline(admin.TabularInline):
    model = IcsSuccession
    fk_name = "successor"
    extra = 0
    autocomplete_fields = ["predecessor"]
    verbose_name = "predecessor"
    verbose_name_plural = "predecessors"


class ConsultantAssignmentInline(admin.TabularInline):
    model = ConsultantAssignment
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "created_at", "created_by"]
    readonly_fields = ["created_at", "created_by"]


@admin.register(IntegratedCareSystem)
class IntegratedCareSystemAdmin(RecordsCreator, admin.ModelAdmin):
    list_display = ["name", "ods_code", "region", "valid_from", "valid_to"]
    list_filter = ["region", "valid_to"]
    search_fields = ["name", "ods_code"]
    inlines = [PredecessorInline, ConsultantAssignmentInline]


@admin.register(Membership)
class MembershipAdmin(RecordsCreator, admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "director_kind", "created_at", "created_by"]
    list_filter = ["role", "director_kind"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "organisation__name",
        "organisation__ods_code",
    ]
    autocomplete_fields = ["user", "organisation"]
    readonly_fields = ["created_at", "created_by"]
    list_select_related = ["user", "organisation", "created_by"]


@admin.register(ConsultantAssignment)
class ConsultantAssignmentAdmin(RecordsCreator, admin.ModelAdmin):
    list_display = ["user", "ics", "created_at", "created_by"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "ics__name", "ics__ods_code"]
    autocomplete_fields = ["user", "ics"]
    readonly_fields = ["created_at", "created_by"]
    list_select_related = ["user", "ics", "created_by"]
