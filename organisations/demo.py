"""Demo people for every role, on real reference data, for `seed_demo`.

The demo system is a real one from the reference data: West Yorkshire ICS (QWO), with
Leeds Teaching Hospitals NHS Trust as the demo trust and five more of its real trusts
beside it. Every demo account shares one password: DEMO_PASSWORD, or a default that
`seed_demo` prints; that is why the command refuses to run with DEBUG off.

These are plain functions, not a command: the `seed_demo` command lives in the
assessments app, which builds on this app and adds the demo assessments. This app
never imports assessments, so the dependency runs one way.
"""

import os
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from organisations.models import ConsultantAssignment, IntegratedCareSystem, Membership, Organisation

DEFAULT_PASSWORD = "demo-board-2026"  # nosec B105: the documented demo password; DEBUG only
DEMO_ICS = "QWO"  # NHS West Yorkshire Integrated Care Board
DEMO_TRUST = "RR8"  # Leeds Teaching Hospitals NHS Trust
DEMO_SYSTEM_TRUSTS = ["RR8", "RAE", "RCF", "RWY", "RGD", "RY6"]  # six real trusts of West Yorkshire
OTHER_ICS = "QF7"  # NHS South Yorkshire Integrated Care Board
OTHER_TRUST = "RFF"  # Barnsley Hospital NHS Foundation Trust, in South Yorkshire
EMAIL_DOMAIN = "demo.ics-governance.test"

Role = Membership.Role
Kind = Membership.DirectorKind


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    what: str
    organisation: str | None = None
    role: str = ""
    director_kind: str = ""
    job_title: str = ""
    ics: str | None = None
    staff: bool = False


PEOPLE = [
    DemoPerson(
        "secretary",
        "Sam",
        "Okafor",
        "board secretary, Leeds Teaching Hospitals",
        DEMO_TRUST,
        Role.SECRETARY,
        job_title="Company Secretary",
    ),
    DemoPerson(
        "chair", "Catherine", "Hale", "chair, Leeds Teaching Hospitals", DEMO_TRUST, Role.CHAIR, job_title="Chair"
    ),
    DemoPerson(
        "director1", "Amir", "Patel", "executive director", DEMO_TRUST, Role.DIRECTOR, Kind.EXECUTIVE, "Chief Executive"
    ),
    DemoPerson(
        "director2",
        "Beth",
        "Morgan",
        "executive director",
        DEMO_TRUST,
        Role.DIRECTOR,
        Kind.EXECUTIVE,
        "Chief Finance Officer",
    ),
    DemoPerson(
        "director3", "Chidi", "Eze", "executive director", DEMO_TRUST, Role.DIRECTOR, Kind.EXECUTIVE, "Chief Nurse"
    ),
    DemoPerson(
        "director4",
        "Dorothy",
        "Walsh",
        "non-executive director",
        DEMO_TRUST,
        Role.DIRECTOR,
        Kind.NON_EXECUTIVE,
        "Non-executive Director (Audit Committee Chair)",
    ),
    DemoPerson(
        "director5",
        "Edward",
        "Lin",
        "non-executive director",
        DEMO_TRUST,
        Role.DIRECTOR,
        Kind.NON_EXECUTIVE,
        "Non-executive Director",
    ),
    DemoPerson(
        "observer",
        "Fatima",
        "Hussain",
        "observer, reads signed-off reports",
        DEMO_TRUST,
        Role.OBSERVER,
        job_title="Lead Governor",
    ),
    DemoPerson("consultant", "Grace", "Adeyemi", "governance consultant for West Yorkshire ICS", ics=DEMO_ICS),
    DemoPerson(
        "consultant-elsewhere", "Henry", "Clarke", "governance consultant for South Yorkshire ICS", ics=OTHER_ICS
    ),
    DemoPerson(
        "outsider",
        "Isla",
        "Fraser",
        "director of Barnsley Hospital (another ICS)",
        OTHER_TRUST,
        Role.DIRECTOR,
        Kind.NON_EXECUTIVE,
        "Non-executive Director",
    ),
    DemoPerson("admin", "Jo", "Bennett", "administrator (Django admin)", staff=True),
]


def demo_password() -> str:
    """The password every demo account shares."""
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD


def accounts_exist() -> bool:
    """Whether any demo account is in the database (so `--if-new` can print the logins)."""
    return get_user_model().objects.filter(username__in=[p.username for p in PEOPLE]).exists()


def seed_people(password: str) -> None:
    """Create or reset every demo account, its role and its consultant assignment.

    Idempotent: a second run resets the accounts to what PEOPLE describes and creates
    nothing twice. The reference data (`load_organisations`) must be loaded first.
    """
    User = get_user_model()
    systems = {code: IntegratedCareSystem.objects.get(ods_code=code) for code in (DEMO_ICS, OTHER_ICS)}
    organisations = {code: Organisation.objects.get(ods_code=code) for code in (DEMO_TRUST, OTHER_TRUST)}
    for person in PEOPLE:
        user, _ = User.objects.update_or_create(
            username=person.username,
            defaults={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": f"{person.username}@{EMAIL_DOMAIN}",
                "is_staff": person.staff,
                "is_superuser": person.staff,
                "is_active": True,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        if person.organisation:
            Membership.objects.update_or_create(
                user=user,
                organisation=organisations[person.organisation],
                defaults={"role": person.role, "director_kind": person.director_kind, "job_title": person.job_title},
            )
        if person.ics:
            ConsultantAssignment.objects.get_or_create(user=user, ics=systems[person.ics])


def login_lines(password: str) -> list[str]:
    """What to print so a newcomer can sign in: the demo system, each account and the password."""
    trusts = Organisation.objects.filter(ods_code__in=DEMO_SYSTEM_TRUSTS).order_by("name")
    return [
        "Demo system: West Yorkshire ICS (QWO), including " + "; ".join(t.name for t in trusts),
        *(f"  {person.username:22} {person.what}" for person in PEOPLE),
        f"Password for every demo account: {password}",
    ]
