"""Fill the new columns of existing rows, then reinstall every lock trigger.

0003 dropped the triggers (SQLite rebuilds assessments_assessment to add a NOT NULL
column) and the fill must update signed-off rows; the reinstall brings the new rules
(status to or from "signed off" only with a sign-off record).
"""

from django.db import migrations

from assessments import triggers


def fill(apps, schema_editor):
    Assessment = apps.get_model("assessments", "Assessment")
    SignOffRecord = apps.get_model("assessments", "SignOffRecord")
    for assessment in Assessment.objects.select_related("organisation"):
        # Lines were chosen by the organisation's type as it was; that is the best record of it.
        Assessment.objects.filter(pk=assessment.pk).update(organisation_type=assessment.organisation.type)
        if assessment.status == "signed_off" and assessment.signed_off_by_id:
            SignOffRecord.objects.bulk_create(
                [
                    SignOffRecord(
                        assessment=assessment,
                        sequence=1,
                        kind="signed_off",
                        by_id=assessment.signed_off_by_id,
                        at=assessment.signed_off_at,
                    )
                ]
            )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0003_assessment_organisation_type_signoffrecord")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(triggers.install, triggers.uninstall),
    ]
