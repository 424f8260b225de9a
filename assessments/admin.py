"""Admin for assessments: view-only, plus reopening a signed-off assessment.

Every change to an assessment goes through assessments/services.py so that it is
checked and recorded in the history; the admin therefore only shows. Individual
answers are not in the admin at all: nobody but the director sees their own named
scores, staff included. The one thing staff do here is reopen a signed-off assessment,
with a reason that the history keeps.
"""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from assessments.forms import ReopenForm
from assessments.models import Action, AgreedScore, Assessment, Evidence, Respondent
from assessments.services import AssessmentError, reopen_assessment


class ViewOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["title", "organisation", "period_start_year", "status", "deadline", "signed_off_at"]
    list_filter = ["status", "period_start_year"]
    search_fields = ["title", "organisation__name", "organisation__ods_code"]
    list_select_related = ["organisation"]
    change_form_template = "admin/assessments/assessment/change_form.html"

    def get_urls(self):
        return [
            path(
                "<int:pk>/reopen/", self.admin_site.admin_view(self.reopen_view), name="assessments_assessment_reopen"
            ),
            *super().get_urls(),
        ]

    def reopen_view(self, request, pk: int):
        assessment = get_object_or_404(Assessment.objects.select_related("organisation"), pk=pk)
        form = ReopenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reopen_assessment(assessment, by=request.user, reason=form.cleaned_data["reason"])
            except AssessmentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{assessment} is reopened for moderation; the reason is in its history.")
                return redirect(reverse("admin:assessments_assessment_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reopen {assessment}",
            "form": form,
            "assessment": assessment,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/assessments/assessment/reopen.html", context)


@admin.register(Respondent)
class RespondentAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["user", "assessment", "is_executive", "invited_at", "submitted_at", "removed_at"]
    list_select_related = ["user", "assessment__organisation"]
    search_fields = ["user__username", "user__last_name", "assessment__organisation__ods_code"]


@admin.register(AgreedScore)
class AgreedScoreAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["assessment", "line", "level", "not_assessed", "target_level", "updated_at"]
    list_select_related = ["assessment__organisation", "line"]


@admin.register(Evidence)
class EvidenceAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["title", "kind", "assessment", "line", "as_at", "added_at"]
    list_select_related = ["assessment__organisation", "line"]


@admin.register(Action)
class ActionAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["description", "owner", "status", "due_date", "assessment"]
    list_select_related = ["assessment__organisation"]
