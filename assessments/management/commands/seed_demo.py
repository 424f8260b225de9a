"""Fill a development database with demo data, so a newcomer can try the tool as
every role: people on real reference data, and assessments at every stage.

    DEBUG=1 manage.py seed_demo             # create or refresh the demo data
    DEBUG=1 manage.py seed_demo --if-new    # only on a database without accounts (make run)

It lives in the assessments app because it composes two layers: the people come from
`organisations.demo` (which knows nothing of assessments), the assessments from
`assessments.demo`. Apps depend one way only, assessments on organisations.

Every demo account shares one password (DEMO_PASSWORD, or a default that this command
prints), so it refuses to run with DEBUG off. It is idempotent: running it again resets
the demo accounts and roles and creates nothing twice.
"""

from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from assessments import demo as demo_assessments
from organisations import demo as demo_people


class Command(BaseCommand):
    help = "Create demo accounts for every role and demo assessments (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-new", action="store_true", help="do nothing if the database already has accounts")

    def handle(self, *args, if_new: bool, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts that share one known password, so it runs only with DEBUG on."
            )
        password = demo_people.demo_password()
        if if_new and get_user_model().objects.exists():
            if demo_people.accounts_exist():
                self._print_logins(password)
            else:
                self.stdout.write("Accounts exist already; no demo accounts were added.")
            return

        # The real reference data first (idempotent): the demo people belong to real trusts.
        call_command("load_organisations", stdout=self.stdout if options["verbosity"] > 1 else StringIO())
        with transaction.atomic():
            demo_people.seed_people(password)
            # Demo assessments: this year's in progress, last year's signed off.
            call_command("load_frameworks", stdout=StringIO())
            demo_assessments.seed(
                demo_trust=demo_people.DEMO_TRUST,
                ics=demo_people.DEMO_ICS,
                year=demo_assessments.current_period(),
            )
            # The ICS comparison reads summary rows that sign-off writes; the demo signs
            # off without the services (on past dates), so the rows are built here, by
            # the reporting app's command (named, not imported: nothing imports it).
            if "rebuild_comparison" in get_commands():
                call_command("rebuild_comparison", stdout=StringIO())
        self._print_logins(password)

    def _print_logins(self, password: str) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo accounts (development only)"))
        for line in demo_people.login_lines(password):
            self.stdout.write(line)
        self.stdout.write(f"Sign in at {settings.SITE_URL}/")
        self.stdout.write("")
