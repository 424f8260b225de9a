"""Create demo people for every role, so a newcomer can try the tool as each of them.

    DEBUG=1 manage.py seed_demo             # create or refresh the demo accounts
    DEBUG=1 manage.py seed_demo --if-new    # only on a database without accounts (make run)

The demo system is a real one from the reference data: West Yorkshire ICS (QWO), with
Leeds Teaching Hospitals NHS Trust as the demo trust and five more of its real trusts
beside it. Every demo account shares one password: DEMO_PASSWORD, or a default that
this command prints. Because of that shared password the command refuses to run with
DEBUG off. It is idempotent: running it again resets the demo accounts and roles to
what is described here and creates nothing twice.
"""

import os
from dataclasses import dataclass
from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from organisations.models import ConsultantAssignment, IntegratedCareSystem, Membership, Organisation

DEFAULT_PASSWORD = "demo-board-2026"
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


def _current_period() -> int:
    """The NHS year runs April to March: in November 2026 the period is 2026/27."""
    today = timezone.localdate()
    return today.year if today.month >= 4 else today.year - 1


class Command(BaseCommand):
    help = "Create demo accounts for every role (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-new", action="store_true", help="do nothing if the database already has accounts")

    def handle(self, *args, if_new: bool, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts that share one known password, so it runs only with DEBUG on."
            )
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        User = get_user_model()
        if if_new and User.objects.exists():
            if User.objects.filter(username__in=[p.username for p in PEOPLE]).exists():
                self._print_logins(password)
            else:
                self.stdout.write("Accounts exist already; no demo accounts were added.")
            return

        # The real reference data first (idempotent): the demo people belong to real trusts.
        call_command("load_organisations", stdout=self.stdout if options["verbosity"] > 1 else StringIO())
        with transaction.atomic():
            self._seed(password)
            # Demo assessments: this year's in progress, last year's signed off.
            from assessments.demo import seed as seed_assessments

            call_command("load_frameworks", stdout=StringIO())
            seed_assessments(demo_trust=DEMO_TRUST, other_trusts=DEMO_SYSTEM_TRUSTS[1:], year=_current_period())
        self._print_logins(password)

    def _seed(self, password: str) -> None:
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
                    defaults={
                        "role": person.role,
                        "director_kind": person.director_kind,
                        "job_title": person.job_title,
                    },
                )
            if person.ics:
                ConsultantAssignment.objects.get_or_create(user=user, ics=systems[person.ics])

    def _print_logins(self, password: str) -> None:
        trusts = Organisation.objects.filter(ods_code__in=DEMO_SYSTEM_TRUSTS).order_by("name")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo accounts (development only)"))
        self.stdout.write("Demo system: West Yorkshire ICS (QWO), including " + "; ".join(t.name for t in trusts))
        for person in PEOPLE:
            self.stdout.write(f"  {person.username:22} {person.what}")
        self.stdout.write(f"Password for every demo account: {password}")
        self.stdout.write(f"Sign in at {settings.SITE_URL}/")
        self.stdout.write("")
