"""Database triggers that lock a signed-off assessment, whatever writes to the database.

The application checks the lock in its services for a friendly message; these
triggers make it absolute: no view, form, admin page, shell session or raw query
can insert, change or delete anything of a signed-off assessment. A signed-off
assessment row itself may only change its status (reopening, which the application
allows to staff with a recorded reason).
"""

from django.db import migrations

MESSAGE = "assessment is signed off and locked"

# Tables whose rows belong to an assessment through assessment_id.
DIRECT = [
    "assessments_respondent",
    "assessments_agreedscore",
    "assessments_evidence",
    "assessments_action",
    "assessments_assessment_frameworks",
]
# Answers belong to it through their respondent.
THROUGH_RESPONDENT = ["assessments_answer"]

LOCKED_DIRECT = "(SELECT status FROM assessments_assessment WHERE id = {row}.assessment_id) = 'signed_off'"
LOCKED_THROUGH_RESPONDENT = (
    "(SELECT a.status FROM assessments_assessment a JOIN assessments_respondent r ON r.assessment_id = a.id "
    "WHERE r.id = {row}.respondent_id) = 'signed_off'"
)


def _sqlite_statements():
    for tables, condition in ((DIRECT, LOCKED_DIRECT), (THROUGH_RESPONDENT, LOCKED_THROUGH_RESPONDENT)):
        for table in tables:
            for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
                when = " OR ".join(condition.format(row=row) for row in rows)
                yield (
                    f"CREATE TRIGGER {table}_locked_{event.lower()} BEFORE {event} ON {table} "
                    f"FOR EACH ROW WHEN {when} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                )
    yield (
        "CREATE TRIGGER assessments_assessment_locked_update BEFORE UPDATE ON assessments_assessment "
        "FOR EACH ROW WHEN OLD.status = 'signed_off' AND NEW.status = 'signed_off' "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )
    yield (
        "CREATE TRIGGER assessments_assessment_locked_delete BEFORE DELETE ON assessments_assessment "
        f"FOR EACH ROW WHEN OLD.status = 'signed_off' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )


def _postgresql_statements():
    for tables, condition, name in (
        (DIRECT, LOCKED_DIRECT, "assessments_refuse_if_locked"),
        (THROUGH_RESPONDENT, LOCKED_THROUGH_RESPONDENT, "assessments_refuse_answer_if_locked"),
    ):
        yield f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') AND {condition.format(row="OLD")} THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') AND {condition.format(row="NEW")} THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql
        """
        for table in tables:
            yield (
                f"CREATE TRIGGER {table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
    yield f"""
        CREATE OR REPLACE FUNCTION assessments_refuse_locked_assessment() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND OLD.status = 'signed_off' THEN
                RAISE EXCEPTION '{MESSAGE}';
            END IF;
            IF TG_OP = 'UPDATE' AND OLD.status = 'signed_off' AND NEW.status = 'signed_off' THEN
                RAISE EXCEPTION '{MESSAGE}';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql
    """
    yield (
        "CREATE TRIGGER assessments_assessment_locked BEFORE UPDATE OR DELETE ON assessments_assessment "
        "FOR EACH ROW EXECUTE FUNCTION assessments_refuse_locked_assessment()"
    )


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = _sqlite_statements()
    elif vendor == "postgresql":
        statements = _postgresql_statements()
    else:
        raise NotImplementedError(f"No lock triggers written for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    tables = DIRECT + THROUGH_RESPONDENT
    if vendor == "sqlite":
        for table in tables:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_locked_{event}")
        schema_editor.execute("DROP TRIGGER IF EXISTS assessments_assessment_locked_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS assessments_assessment_locked_delete")
    elif vendor == "postgresql":
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_locked ON {table}")
        schema_editor.execute("DROP TRIGGER IF EXISTS assessments_assessment_locked ON assessments_assessment")
        for name in ("assessments_refuse_if_locked", "assessments_refuse_answer_if_locked",
                     "assessments_refuse_locked_assessment"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
