"""Integrated care systems, NHS organisations, and the people who act for them.

ICS membership carries dates: England had 42 ICBs from 1 July 2022 and 36 since
1 April 2026, so "which ICS is this trust in?" is always asked for a date, and an
assessment period belongs to the configuration in force at its start.

A trust **serves** one or more ICSs on a date; exactly one of them is its primary ICS
(the ICB of its headquarters, as ODS records it). `Organisation.ics_on(date)` is the
primary one, the one an assessment belongs to; `in_ics_on(ics, date)` lists every
trust that serves a system. Trusts also open, close and change their names, so a
trust's name is asked for a date too (`Organisation.name_on`).

Who may see or do what is decided in organisations/access.py, not here.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from ics_governance.lib.nhs import OrganisationType


class Region(models.TextChoices):
    """NHS England's seven regions (not ONS regions)."""

    EAST_OF_ENGLAND = "East of England", "East of England"
    LONDON = "London", "London"
    MIDLANDS = "Midlands", "Midlands"
    NORTH_EAST_AND_YORKSHIRE = "North East and Yorkshire", "North East and Yorkshire"
    NORTH_WEST = "North West", "North West"
    SOUTH_EAST = "South East", "South East"
    SOUTH_WEST = "South West", "South West"


def _in_force_on(prefix: str, on: datetime.date) -> Q:
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on})
    )


class IcsQuerySet(models.QuerySet["IntegratedCareSystem"]):
    def in_force_on(self, on: datetime.date) -> IcsQuerySet:
        return self.filter(_in_force_on("", on))

    def visible_to(self, user) -> IcsQuerySet:
        """The ICSs a person may see as such: those they are assigned to as a consultant."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(consultant_assignments__user=user).distinct()


class IcsManager(models.Manager.from_queryset(IcsQuerySet)):  # type: ignore[misc]
    def get_by_natural_key(self, ods_code: str) -> IntegratedCareSystem:
        return self.get(ods_code=ods_code)


class IntegratedCareSystem(models.Model):
    """An ICS, identified by the ODS code of its integrated care board."""

    ods_code = models.CharField("ICB ODS code", max_length=10, unique=True)
    name = models.CharField("ICB name", max_length=200)
    region = models.CharField(max_length=40, choices=Region)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Last day it existed; empty while it exists.")
    # From the successor's side: `ics.predecessors` are the ICBs it was formed from,
    # `ics.successors` those that replaced it.
    predecessors = models.ManyToManyField(
        "self",
        through="IcsSuccession",
        through_fields=("successor", "predecessor"),
        symmetrical=False,
        related_name="successors",
        blank=True,
    )

    objects = IcsManager()

    class Meta:
        ordering = ["name"]
        verbose_name = "integrated care system"
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="ics_valid_dates",
            )
        ]

    def __str__(self) -> str:
        return self.short_name

    def natural_key(self) -> tuple[str]:
        return (self.ods_code,)

    @property
    def short_name(self) -> str:
        """ "NHS West Yorkshire Integrated Care Board" -> "West Yorkshire"."""
        name = self.name.removeprefix("NHS ").removesuffix(" Integrated Care Board")
        return name

    def is_in_force_on(self, on: datetime.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


class IcsSuccession(models.Model):
    """An ICB replaced, wholly or in part, by another on a reorganisation."""

    predecessor = models.ForeignKey(IntegratedCareSystem, on_delete=models.CASCADE, related_name="+")
    successor = models.ForeignKey(IntegratedCareSystem, on_delete=models.CASCADE, related_name="+")
    partial = models.BooleanField(default=False, help_text="Only part of the predecessor went to the successor.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="ics_succession_unique"),
        ]

    def __str__(self) -> str:
        part = " (part)" if self.partial else ""
        return f"{self.predecessor.ods_code}{part} → {self.successor.ods_code}"


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def visible_to(self, user) -> OrganisationQuerySet:
        """Organisations a person may see: where they hold a membership, and, for a
        consultant, every organisation that belongs or belonged to an ICS they are
        assigned to (their history across reorganisations included)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(memberships__user=user) | Q(ics_memberships__ics__consultant_assignments__user=user)
        ).distinct()

    def in_ics_on(
        self, ics: IntegratedCareSystem, on: datetime.date, *, primary_only: bool = False
    ) -> OrganisationQuerySet:
        """The organisations that serve `ics` on this date: those whose primary ICS it
        is and, unless `primary_only`, those that also serve it from another system."""
        memberships = IcsMembership.objects.filter(_in_force_on("", on), ics=ics)
        if primary_only:
            memberships = memberships.filter(primary=True)
        return self.filter(pk__in=memberships.values("organisation"))


class OrganisationManager(models.Manager.from_queryset(OrganisationQuerySet)):  # type: ignore[misc]
    def get_by_natural_key(self, ods_code: str) -> Organisation:
        return self.get(ods_code=ods_code)


class Organisation(models.Model):
    """An NHS trust, foundation trust or integrated care board."""

    ods_code = models.CharField("ODS code", max_length=10, unique=True)
    name = models.CharField(max_length=200, help_text="The current name (or the last, once closed).")
    type = models.CharField(
        max_length=20,
        choices=OrganisationType,
        blank=True,
        help_text="Empty only for a closed trust whose type the sources do not give.",
    )
    foundation_trust = models.BooleanField(default=False)
    opened_on = models.DateField(null=True, blank=True, help_text="Empty when the sources do not give it.")
    closed_on = models.DateField(null=True, blank=True, help_text="Last day it existed; empty while it exists.")

    objects = OrganisationManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opened_on__isnull=True)
                | Q(closed_on__isnull=True)
                | Q(closed_on__gte=models.F("opened_on")),
                name="organisation_open_close_dates",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.ods_code,)

    def ics_on(self, on: datetime.date) -> IntegratedCareSystem | None:
        """The primary ICS on this date (None before the trust opened, after it closed,
        or outside every configuration)."""
        membership = self.ics_memberships.filter(_in_force_on("", on), primary=True).select_related("ics").first()
        return membership.ics if membership else None

    def exists_on(self, on: datetime.date) -> bool:
        return (self.opened_on is None or self.opened_on <= on) and (self.closed_on is None or on <= self.closed_on)

    def name_on(self, on: datetime.date) -> str | None:
        """The name the organisation had on this date.

        Without a recorded rename, its name. Otherwise the recorded names, in order: the
        first one runs from whenever the trust opened, the last one to now, and a name
        whose start or end the sources do not give covers only the dates they do. On a
        date between two names (a rename whose day is not known) the answer is None.
        """
        names = sorted(self.names.all(), key=lambda n: n.valid_from or datetime.date.min)
        if not names:
            return self.name
        for index, name in enumerate(names):
            first, last = index == 0, index == len(names) - 1
            start = name.valid_from or (datetime.date.min if first else None)
            end = name.valid_to or (datetime.date.max if last else None)
            if start is not None and end is not None and start <= on <= end:
                return name.name
        return None


class OrganisationName(models.Model):
    """A name an organisation had, with the dates the sources give for it.

    An empty `valid_from` on the first name means "since it opened, as far as the
    sources go"; an empty `valid_to` on the last means "still in use". Anywhere else an
    empty date means the sources do not give it (see fixtures/organisations/SOURCES.md).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=200)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["organisation", models.F("valid_from").asc(nulls_first=True)]
        verbose_name = "organisation name"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="organisation_name_unique"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="organisation_name_valid_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IcsMembership(models.Model):
    """An organisation's link to an ICS it serves, for a period.

    On any date an organisation has at most one **primary** membership: the ICB of its
    headquarters, as ODS records it, which places its assessments. Other memberships
    record the further systems it serves (an ambulance trust serves several).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="ics_memberships")
    ics = models.ForeignKey(IntegratedCareSystem, on_delete=models.PROTECT, related_name="memberships")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    primary = models.BooleanField(
        default=True, help_text="The ICS of its headquarters, which its assessments belong to."
    )
    source = models.CharField(
        max_length=300, blank=True, help_text='Where the link comes from; "to verify" if unsourced.'
    )

    class Meta:
        ordering = ["organisation", "valid_from", "-primary", "ics__name"]
        verbose_name = "ICS membership"
        constraints = [
            # Overlapping periods cannot be refused by a unique index; the loader refuses
            # them, and this catches the commonest mistake (two primaries from one day).
            models.UniqueConstraint(
                fields=["organisation", "valid_from"],
                condition=Q(primary=True),
                name="ics_membership_one_primary_per_start",
            ),
            models.UniqueConstraint(fields=["organisation", "ics", "valid_from"], name="ics_membership_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="ics_membership_valid_dates",
            ),
        ]

    def __str__(self) -> str:
        until = self.valid_to.isoformat() if self.valid_to else "now"
        kind = "in" if self.primary else "also serving"
        return f"{self.organisation.ods_code} {kind} {self.ics.ods_code} from {self.valid_from.isoformat()} to {until}"


class Membership(models.Model):
    """A person's role in an organisation. One role per person per organisation."""

    class Role(models.TextChoices):
        SECRETARY = "secretary", "Board secretary"
        CHAIR = "chair", "Chair"
        DIRECTOR = "director", "Director"
        OBSERVER = "observer", "Observer"

    class DirectorKind(models.TextChoices):
        EXECUTIVE = "executive", "Executive director"
        NON_EXECUTIVE = "non-executive", "Non-executive director"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role)
    director_kind = models.CharField(
        max_length=20, choices=DirectorKind, blank=True, help_text="For directors only: executive or non-executive."
    )
    job_title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organisation", "role", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_one_role_per_organisation"),
            # A director is always marked executive or non-executive; nobody else is.
            models.CheckConstraint(
                condition=(Q(role="director") & ~Q(director_kind="")) | (~Q(role="director") & Q(director_kind="")),
                name="membership_director_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} of {self.organisation}"

    def clean(self) -> None:
        # The database constraint enforces the same rule; this gives the message.
        if self.role == self.Role.DIRECTOR and not self.director_kind:
            raise ValidationError({"director_kind": "Say whether this director is executive or non-executive."})
        if self.role != self.Role.DIRECTOR and self.director_kind:
            raise ValidationError({"director_kind": "Only directors are marked executive or non-executive."})

    @property
    def role_label(self) -> str:
        if self.role == self.Role.DIRECTOR:
            return self.get_director_kind_display()
        return self.get_role_display()

    @property
    def is_executive(self) -> bool:
        return self.director_kind == self.DirectorKind.EXECUTIVE


class ConsultantAssignment(models.Model):
    """A governance consultant's assignment to an ICS: they read the signed-off results
    of its organisations and their comparison, never an individual director's scores."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultant_assignments")
    ics = models.ForeignKey(IntegratedCareSystem, on_delete=models.CASCADE, related_name="consultant_assignments")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["ics__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "ics"], name="consultant_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – consultant for {self.ics}"


class ThrottleHit(models.Model):
    """One counted request against a rate limit (organisations/throttle.py).

    A table rather than a cache: the app runs as several gunicorn processes, and each
    would keep its own per-process cache, multiplying every limit. The key is a keyed
    hash of the e-mail or network address, so the table holds no addresses.
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.scope} at {self.at:%Y-%m-%d %H:%M:%S}"
