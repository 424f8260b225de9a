"""Home, organisation, board members and ICS pages."""

import datetime

from ics_governance.lib.nhs import OrganisationType
from organisations.models import IcsMembership, IcsSuccession, Membership, OrganisationName
from tests.base import PersonaTestCase, add_member, make_ics, make_org, make_user


class HomeTests(PersonaTestCase):
    def test_a_member_sees_their_organisation_and_role(self):
        self.client.force_login(self.non_executive)
        response = self.client.get("/")
        self.assertContains(response, "North Hospitals NHS Trust")
        self.assertContains(response, 'href="/organisations/RA1/"')
        self.assertContains(response, "Non-executive director")
        self.assertContains(response, "North ICS")
        self.assertNotContains(response, "South Hospitals")

    def test_it_shows_a_chairs_role_once(self):
        # The demo chair's job title is "Chair": the page once read "Chair, Chair".
        Membership.objects.filter(user=self.chair).update(job_title="Chair")
        self.client.force_login(self.chair)
        response = self.client.get("/")
        self.assertNotContains(response, "Chair, Chair")
        self.assertInHTML(self.role_line("Chair"), response.content.decode(), count=1)

    def test_it_does_not_repeat_a_role_the_job_title_starts_with(self):
        Membership.objects.filter(user=self.non_executive).update(
            job_title="Non-executive Director (Audit Committee Chair)"
        )
        self.client.force_login(self.non_executive)
        response = self.client.get("/")
        self.assertInHTML(self.role_line("Non-executive Director (Audit Committee Chair)"), response.content.decode())

    def test_it_shows_a_job_title_that_adds_to_the_role(self):
        Membership.objects.filter(user=self.secretary).update(job_title="Company Secretary")
        self.client.force_login(self.secretary)
        response = self.client.get("/")
        self.assertInHTML(self.role_line("Board secretary, Company Secretary"), response.content.decode())

    def test_it_links_each_organisation_to_its_self_assessments(self):
        self.client.force_login(self.executive)
        response = self.client.get("/")
        self.assertContains(response, 'href="/organisations/RA1/assessments/"')
        self.assertContains(response, 'Self-assessments<span class="visually-hidden"> of North Hospitals NHS Trust')

    @staticmethod
    def role_line(role: str) -> str:
        """The home page's line for a North Hospitals membership: role (and job title), then the ICS."""
        return f'<p class="m-0">{role} <span class="text-secondary-nhs"> · North ICS</span></p>'

    def test_a_consultant_sees_their_icss(self):
        self.client.force_login(self.consultant)
        response = self.client.get("/")
        self.assertContains(response, 'href="/ics/QAA/"')
        self.assertContains(response, "Governance consultant")
        self.assertNotContains(response, "QBB")

    def test_someone_with_nothing_is_told_what_to_do(self):
        self.client.force_login(self.staff)
        self.assertContains(self.client.get("/"), "not linked to an organisation")

    def test_its_query_count_does_not_grow_with_memberships(self):
        self.client.force_login(self.secretary)
        # One of them reads the newest report of every organisation at once.
        with self.assertNumQueries(6):
            self.client.get("/")
        from tests.base import add_member, make_org

        for n in range(5):
            add_member(self.secretary, make_org(f"RX{n}", f"Extra {n}", self.ics), "observer")
        with self.assertNumQueries(6):
            self.client.get("/")


class OrganisationPageTests(PersonaTestCase):
    def test_members_see_the_ics_history(self):
        self.client.force_login(self.observer)
        response = self.client.get("/organisations/RA1/")
        self.assertContains(response, "North (QAA), 1 Jul 2022 to now")
        self.assertContains(response, "Observer")
        self.assertNotContains(response, "Board members and roles")

    def test_it_links_to_the_self_assessments(self):
        self.client.force_login(self.observer)
        self.assertContains(self.client.get("/organisations/RA1/"), 'href="/organisations/RA1/assessments/"')

    def test_the_secretary_is_offered_the_board_list(self):
        self.client.force_login(self.secretary)
        self.assertContains(self.client.get("/organisations/RA1/"), 'href="/organisations/RA1/people/"')

    def test_the_board_list_shows_every_role(self):
        self.client.force_login(self.chair)
        response = self.client.get("/organisations/RA1/people/")
        for label in ["Board secretary", "Chair", "Executive director", "Non-executive director", "Observer"]:
            self.assertContains(response, label)
        self.assertNotContains(response, "outsider@example.org")


class IcsPageTests(PersonaTestCase):
    def test_it_lists_the_organisations_and_succession(self):
        successor = make_ics("QZZ", "Greater North", valid_from=datetime.date(2026, 4, 1))
        IcsSuccession.objects.create(predecessor=self.ics, successor=successor, partial=True)
        self.client.force_login(self.consultant)
        response = self.client.get("/ics/QAA/")
        self.assertContains(response, "North Hospitals NHS Trust")
        self.assertContains(response, "North Mental Health NHS Foundation Trust")
        self.assertContains(response, "Succeeded by:")
        self.assertContains(response, "Greater North (QZZ, part)")
        self.assertNotContains(response, "South Hospitals")


class MultiSystemTrustTests(PersonaTestCase):
    """An ambulance trust with its primary ICS in South (QBB) that also serves North (QAA)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.ambulance = make_org(
            "RC9", "Both Ways Ambulance Service NHS Trust", cls.other_ics, type=OrganisationType.AMBULANCE
        )
        IcsMembership.objects.create(
            organisation=cls.ambulance, ics=cls.ics, valid_from=cls.ics.valid_from, primary=False, source="to verify"
        )

    def test_it_is_on_both_ics_pages_marked_where_its_primary_is_elsewhere(self):
        self.client.force_login(self.consultant)
        north = self.client.get("/ics/QAA/").content.decode()
        self.assertInHTML("<td>Primary ICS elsewhere: South (QBB)</td>", north, count=1)
        self.assertIn("Both Ways Ambulance Service NHS Trust", north)
        self.assertIn("1 trust listed here has its primary ICS elsewhere", north)
        self.assertInHTML("<td>This system</td>", north, count=2)  # RA1 and RA2
        self.client.force_login(self.consultant_elsewhere)
        south = self.client.get("/ics/QBB/").content.decode()
        self.assertIn("Both Ways Ambulance Service NHS Trust", south)
        self.assertNotIn("Primary ICS elsewhere", south)

    def test_its_page_shows_its_primary_ics_and_the_systems_it_also_serves(self):
        self.client.force_login(self.consultant)
        response = self.client.get("/organisations/RC9/")
        self.assertContains(response, "South (QBB), 1 Jul 2022 to now")
        self.assertContains(response, "Also serves")
        self.assertContains(
            response, 'North (QAA), 1 Jul 2022 to now <span class="text-secondary-nhs">(to verify)</span>'
        )

    def test_the_home_page_shows_the_primary_ics(self):
        member = make_user("crew")
        add_member(member, self.ambulance, Membership.Role.OBSERVER)
        self.client.force_login(member)
        response = self.client.get("/")
        self.assertContains(response, "South ICS")
        self.assertNotContains(response, "North ICS")

    def test_its_query_count_does_not_grow_with_the_trusts(self):
        self.client.force_login(self.consultant)
        # One of them reads the newest report of every trust at once.
        with self.assertNumQueries(9):
            self.client.get("/ics/QAA/")
        for n in range(4):
            other = make_org(f"RD{n}", f"Serving {n}", self.other_ics)
            IcsMembership.objects.create(
                organisation=other, ics=self.ics, valid_from=self.ics.valid_from, primary=False
            )
        with self.assertNumQueries(9):
            self.client.get("/ics/QAA/")


class NameHistoryPageTests(PersonaTestCase):
    def test_the_organisation_page_shows_its_names_and_dates(self):
        self.trust.opened_on = datetime.date(1999, 4, 1)
        self.trust.save()
        OrganisationName.objects.create(
            organisation=self.trust, name="North Infirmary NHS Trust", valid_to=datetime.date(2025, 7, 15)
        )
        OrganisationName.objects.create(
            organisation=self.trust, name="North Hospitals NHS Trust", valid_from=datetime.date(2025, 12, 29)
        )
        self.client.force_login(self.observer)
        response = self.client.get("/organisations/RA1/")
        self.assertContains(response, "Opened")
        self.assertContains(response, "1 Apr 1999")
        self.assertContains(response, "North Infirmary NHS Trust, until 15 Jul 2025")
        self.assertContains(response, "Renamed between 15 Jul 2025 and 29 Dec 2025; the day is not in our sources.")
        self.assertContains(response, "North Hospitals NHS Trust, from 29 Dec 2025 to now")

    def test_the_ics_page_of_an_abolished_system_uses_the_names_of_its_last_day(self):
        self.ics.valid_to = datetime.date(2026, 3, 31)
        self.ics.save()
        IcsMembership.objects.filter(ics=self.ics).update(valid_to=datetime.date(2026, 3, 31))
        OrganisationName.objects.create(
            organisation=self.trust, name="North Infirmary NHS Trust", valid_to=datetime.date(2026, 3, 31)
        )
        OrganisationName.objects.create(
            organisation=self.trust, name="North Hospitals NHS Trust", valid_from=datetime.date(2026, 4, 1)
        )
        self.client.force_login(self.consultant)
        response = self.client.get("/ics/QAA/")
        self.assertContains(
            response,
            'North Infirmary NHS Trust</a> <span class="text-secondary-nhs">(now North Hospitals NHS Trust)</span>',
            html=False,
        )
        self.assertContains(response, "Organisations on 31 March 2026")
