import datetime
import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format

from ics_governance.lib.client import client_address
from organisations import throttle
from organisations.access import (
    BOARD_MANAGERS,
    assignments_of,
    get_ics_for_user,
    get_organisation_for_user,
    memberships_of,
)
from organisations.models import IcsMembership, IcsSuccession, Membership, Organisation

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """What this person can act on: their organisations and roles, and their ICSs."""
    today = timezone.localdate()
    memberships = memberships_of(request.user)
    current = {
        m.organisation_id: m.ics
        for m in IcsMembership.objects.filter(organisation__in=[m.organisation_id for m in memberships], primary=True)
        .filter(valid_from__lte=today)
        .exclude(valid_to__lt=today)
        .select_related("ics")
    }
    rows = [(m, current.get(m.organisation_id), _role_and_title(m)) for m in memberships]
    return render(request, "organisations/home.html", {"rows": rows, "assignments": assignments_of(request.user)})


def _role_and_title(membership: Membership) -> str:
    """The role, then the job title unless it only repeats the role: a chair whose job
    title is "Chair" reads "Chair", not "Chair, Chair"; "Non-executive Director (Audit
    Committee Chair)" stands alone for a non-executive director."""
    role, title = membership.role_label, membership.job_title.strip()
    if not title or title.casefold() == role.casefold():
        return role
    if title.casefold().startswith(role.casefold()):
        return title
    return f"{role}, {title}"


def organisation_detail(request: HttpRequest, ods_code: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, ods_code)
    organisation = access.organisation
    history = organisation.ics_memberships.select_related("ics").order_by("valid_from", "-primary", "ics__name")
    return render(
        request,
        "organisations/organisation_detail.html",
        {
            "access": access,
            "organisation": organisation,
            "primary_history": [m for m in history if m.primary],
            "serves_history": [m for m in history if not m.primary],
            "names": _name_history(organisation),
            "can_see_people": access.has_role(BOARD_MANAGERS),
        },
    )


def _name_history(organisation: Organisation) -> list[tuple[str, str, str]]:
    """The recorded names, oldest first, as (name, its dates in words, a note on the
    rename that follows it when its day is not known); empty when none is recorded."""
    names = sorted(organisation.names.all(), key=lambda n: n.valid_from or datetime.date.min)
    rows = []
    for index, name in enumerate(names):
        first, last = index == 0, index == len(names) - 1
        if name.valid_to:
            end = _day(name.valid_to)
        else:
            end = "now" if last else "a date not recorded"
        if name.valid_from:
            when = f"from {_day(name.valid_from)} to {end}"
        elif first:
            when = "now" if end == "now" else f"until {end}"
        else:
            when = f"from a date not recorded to {end}"
        note = ""
        if not last:
            following = names[index + 1]
            if not (name.valid_to and following.valid_from == name.valid_to + datetime.timedelta(days=1)):
                after = _day(name.valid_to) if name.valid_to else "a date not recorded"
                before = _day(following.valid_from) if following.valid_from else "a date not recorded"
                note = f"Renamed between {after} and {before}; the day is not in our sources."
        rows.append((name.name, when, note))
    return rows


def _day(day: datetime.date) -> str:
    return date_format(day, "j M Y")


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
    organisations = list(
        Organisation.objects.in_ics_on(ics, on).exclude(type="icb").prefetch_related("names").order_by("name")
    )
    # Each organisation's primary ICS on that date, in one query: those whose primary
    # ICS is another are listed with it, in words.
    primary = {
        m.organisation_id: m.ics
        for m in IcsMembership.objects.filter(organisation__in=organisations, primary=True)
        .filter(valid_from__lte=on)
        .exclude(valid_to__lt=on)
        .select_related("ics")
    }
    rows = []
    for organisation in organisations:
        name_then = organisation.name_on(on)
        home = primary.get(organisation.pk)
        rows.append(
            {
                "organisation": organisation,
                "name_then": name_then,
                "primary_elsewhere": home if home is not None and home.pk != ics.pk else None,
            }
        )
    rows.sort(key=lambda r: (r["primary_elsewhere"] is not None, (r["name_then"] or r["organisation"].name).lower()))
    successions = IcsSuccession.objects.select_related("predecessor", "successor")
    return render(
        request,
        "organisations/ics_detail.html",
        {
            "ics": ics,
            "on": on,
            "rows": rows,
            "serving_from_elsewhere": sum(1 for r in rows if r["primary_elsewhere"]),
            "predecessors": successions.filter(successor=ics),
            "successors": successions.filter(predecessor=ics),
        },
    )


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout response, in words a director understands (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, rate-limited per e-mail address and per client address.

    Every request counts, whether or not an account uses the address, and a refused
    request gets the same redirect to the same "check your email" page as a sent one:
    otherwise the limit itself would tell a stranger which addresses have accounts.
    """

    def form_valid(self, form):
        if _password_reset_allowed(self.request, form.cleaned_data["email"]):
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


def _password_reset_allowed(request: HttpRequest, email: str) -> bool:
    hour = datetime.timedelta(hours=1)
    client = client_address(request) or "unknown"
    # The client's limit is checked first and is the larger one: one NHS network can
    # put a whole trust behind one address. Checked second, the e-mail limit only counts
    # requests that got past the client's.
    client_limit = settings.PASSWORD_RESET_CLIENT_LIMIT
    if not throttle.allow("password-reset-client", client, limit=client_limit, window=hour):
        logger.warning("Password reset refused: more than %s requests an hour from %s", client_limit, client)
        return False
    # Addresses are matched without regard to case (as PasswordResetForm does), so
    # changing the case of an address cannot reset its count. The address is not logged.
    email_limit = settings.PASSWORD_RESET_EMAIL_LIMIT
    if not throttle.allow("password-reset-email", email.strip().casefold(), limit=email_limit, window=hour):
        logger.warning("Password reset refused: more than %s e-mails an hour to one address", email_limit)
        return False
    return True
