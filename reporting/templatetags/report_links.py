"""Links to the maturity report from pages of the apps it builds on.

Those apps' templates include project-level slots (templates/includes/) and know
nothing of this app; the slots load these tags. The latest report per organisation is
read once per request, whatever the number of organisations on the page.
"""

from __future__ import annotations

from django import template

from reporting.access import can_open_report, reports_visible_to

register = template.Library()


@register.simple_tag(takes_context=True)
def latest_report(context, organisation):
    """The newest assessment of `organisation` whose report the person may open, or None."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    latest = getattr(request, "_latest_reports", None)
    if latest is None:
        latest = {}
        for assessment in reports_visible_to(request.user).order_by("organisation_id", "-period_start_year"):
            latest.setdefault(assessment.organisation_id, assessment)
        request._latest_reports = latest
    return latest.get(organisation.pk)


@register.simple_tag
def may_open_report(access) -> bool:
    return access is not None and can_open_report(access)
