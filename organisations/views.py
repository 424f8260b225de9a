from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from organisations.access import (
    BOARD_MANAGERS,
    assignments_of,
    get_ics_for_user,
    get_organisation_for_user,
    memberships_of,
)
from organisations.models import IcsMembership, IcsSuccession, Membership, Organisation


def home(request: HttpRequest) -> HttpResponse:
    """What this person can act on: their organisations and roles, and their ICSs."""
    today = timezone.localdate()
    memberships = memberships_of(request.user)
    current = {
        m.organisation_id: m.ics
        for m in IcsMembership.objects.filter(organisation__in=[m.organisation_id for m in memberships])
        .filter(valid_from__lte=today)
        .exclude(valid_to__lt=today)
        .select_related("ics")
    }
    rows = [(m, current.get(m.organisation_id)) for m in memberships]
    return render(request, "organisations/home.html", {"rows": rows, "assignments": assignments_of(request.user)})


def organisation_detail(request: HttpRequest, ods_code: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, ods_code)
    organisation = access.organisation
    history = organisation.ics_memberships.select_related("ics").order_by("valid_from")
    return render(
        request,
        "organisations/organisation_detail.html",
        {
            "access": access,
            "organisation": organisation,
            "history": history,
            "can_see_people": access.has_role(BOARD_MANAGERS),
        },
    )


def organisation_people(request: HttpRequest, ods_code: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, ods_code, roles=BOARD_MANAGERS)
    members = (
        Membership.objects.filter(organisation=access.organisation)
        .select_related("user")
        .order_by("role", "director_kind", "user__last_name", "user__first_name")
    )
    return render(
        request,
        "organisations/organisation_people.html",
        {"access": access, "organisation": access.organisation, "members": members},
    )


def ics_detail(request: HttpRequest, ods_code: str) -> HttpResponse:
    ics = get_ics_for_user(request.user, ods_code)
    # An abolished ICS is shown as it was on its last day.
    on = ics.valid_to or timezone.localdate()
    organisations = Organisation.objects.in_ics_on(ics, on).exclude(type="icb").order_by("name")
    successions = IcsSuccession.objects.select_related("predecessor", "successor")
    return render(
        request,
        "organisations/ics_detail.html",
        {
            "ics": ics,
            "on": on,
            "organisations": organisations,
            "predecessors": successions.filter(successor=ics),
            "successors": successions.filter(predecessor=ics),
        },
    )


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout response, in words a director understands (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)
