"""Admin for organisations, memberships and assignments."""

from organisations.models import ConsultantAssignment, Membership
from tests.base import PersonaTestCase, make_user


class OrganisationAdminTests(PersonaTestCase):
    def setUp(self):
        self.client.force_login(self.staff)

    def test_organisations_are_found_by_name_and_ods_code(self):
        response = self.client.get("/admin/organisations/organisation/?q=RA2")
        self.assertContains(response, "North Mental Health")
        self.assertNotContains(response, "South Hospitals")
        response = self.client.get("/admin/organisations/organisation/?q=south")
        self.assertContains(response, "South Hospitals")

    def test_memberships_are_found_by_person_and_organisation(self):
        response = self.client.get("/admin/organisations/membership/?q=RB1")
        self.assertContains(response, "outsider")
        self.assertNotContains(response, "nonexecutive")

    def test_a_new_membership_records_who_made_it(self):
        newcomer = make_user("newcomer")
        response = self.client.post(
            "/admin/organisations/membership/add/",
            {"user": newcomer.pk, "organisation": self.trust.pk, "role": "director", "director_kind": "executive"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Membership.objects.get(user=newcomer).created_by, self.staff)

    def test_a_director_without_a_kind_gets_a_clear_message(self):
        newcomer = make_user("newcomer")
        response = self.client.post(
            "/admin/organisations/membership/add/",
            {"user": newcomer.pk, "organisation": self.trust.pk, "role": "director", "director_kind": ""},
        )
        self.assertContains(response, "Say whether this director is executive or non-executive")
        self.assertFalse(Membership.objects.filter(user=newcomer).exists())

    def test_a_new_assignment_records_who_made_it(self):
        newcomer = make_user("newcomer")
        self.client.post("/admin/organisations/consultantassignment/add/", {"user": newcomer.pk, "ics": self.ics.pk})
        self.assertEqual(ConsultantAssignment.objects.get(user=newcomer).created_by, self.staff)
