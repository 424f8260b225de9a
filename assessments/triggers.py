"""The database triggers that lock a signed-off assessment, whatever writes to the database.

The services check the lock for a friendly message; these triggers make it absolute:
no view, form, admin page, shell session, queryset `update()` or raw query can insert,
change or delete anything of a signed-off assessment, and the assessment's status can
move to or from "signed off" only when its latest SignOffRecord says so.

**Read this before writing a migration that touches a locked table.** On SQLite,
Django applies many schema changes (adding a NOT NULL field, altering a field, a
constraint) by building a new table and copying the rows: the old table's triggers go
with it, and SQLite refuses to rebuild assessments_assessment at all while other
tables' triggers name it. Such a migration must begin with
`migrations.RunPython(uninstall, install)` and end with (or be followed by)
`migrations.RunPython(install, uninstall)`: see 0003 and 0004.
`tests/assessments/test_lock.py` fails when a locked table lacks one of its triggers
after all migrations, on SQLite and on PostgreSQL.

`install` drops and recreates every trigger, so running it again is harmless.
"""

from __future__ import annotations

MESSAGE = "assessment is signed off and locked"
RECORD_MESSAGE = "assessment status changes to or from signed off only with a sign-off record"

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
ASSESSMENT = "assessments_assessment"

LOCKED_DIRECT = "(SELECT status FROM assessments_assessment WHERE id = {row}.assessment_id) = 'signed_off'"
LOCKED_THROUGH_RESPONDENT = (
    "(SELECT a.status FROM assessments_assessment a JOIN assessments_respondent r ON r.assessment_id = a.id "
    "WHERE r.id = {row}.respondent_id) = 'signed_off'"
)
LATEST_RECORD = (
    "COALESCE((SELECT kind FROM assessments_signoffrecord WHERE assessment_id = {row}.id "
    "ORDER BY sequence DESC LIMIT 1), '')"
)


def expected_triggers(vendor: str) -> dict[str, set[str]]:
    """Every trigger name `install` creates, by table: what the lock test looks for."""
    expected: dict[str, set[str]] = {}
    for table in DIRECT + THROUGH_RESPONDENT:
        if vendor == "sqlite":
            expected[table] = {f"{table}_locked_{event}" for event in ("insert", "update", "delete")}
        else:
            expected[table] = {f"{table}_locked"}
    if vendor == "sqlite":
        expected[ASSESSMENT] = {
            f"{ASSESSMENT}_locked_insert",
            f"{ASSESSMENT}_locked_update",
            f"{ASSESSMENT}_locked_delete",
            f"{ASSESSMENT}_reopen_needs_record",
            f"{ASSESSMENT}_sign_off_needs_record",
        }
    else:
        expected[ASSESSMENT] = {f"{ASSESSMENT}_locked"}
    return expected


def _sqlite_statements():
    for tables, condition in ((DIRECT, LOCKED_DIRECT), (THROUGH_RESPONDENT, LOCKED_THROUGH_RESPONDENT)):
        for table in tables:
            for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
                when = " OR ".join(condition.format(row=row) for row in rows)
                yield (
                    f"CREATE TRIGGER {table}_locked_{event.lower()} BEFORE {event} ON {table} "
                    f"FOR EACH ROW WHEN {when} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                )
    # An assessment is never created signed off: the sign-off service moves it there.
    yield (
        f"CREATE TRIGGER {ASSESSMENT}_locked_insert BEFORE INSERT ON {ASSESSMENT} "
        f"FOR EACH ROW WHEN NEW.status = 'signed_off' BEGIN SELECT RAISE(ABORT, '{RECORD_MESSAGE}'); END"
    )
    yield (
        f"CREATE TRIGGER {ASSESSMENT}_locked_update BEFORE UPDATE ON {ASSESSMENT} "
        "FOR EACH ROW WHEN OLD.status = 'signed_off' AND NEW.status = 'signed_off' "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )
    yield (
        f"CREATE TRIGGER {ASSESSMENT}_reopen_needs_record BEFORE UPDATE ON {ASSESSMENT} "
        "FOR EACH ROW WHEN OLD.status = 'signed_off' AND NEW.status <> 'signed_off' "
        f"AND {LATEST_RECORD.format(row='OLD')} <> 'reopened' "
        f"BEGIN SELECT RAISE(ABORT, '{RECORD_MESSAGE}'); END"
    )
    yield (
        f"CREATE TRIGGER {ASSESSMENT}_sign_off_needs_record BEFORE UPDATE ON {ASSESSMENT} "
        "FOR EACH ROW WHEN OLD.status <> 'signed_off' AND NEW.status = 'signed_off' "
        f"AND {LATEST_RECORD.format(row='OLD')} <> 'signed_off' "
        f"BEGIN SELECT RAISE(ABORT, '{RECORD_MESSAGE}'); END"
    )
    yield (
        f"CREATE TRIGGER {ASSESSMENT}_locked_delete BEFORE DELETE ON {ASSESSMENT} "
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
            IF TG_OP = 'INSERT' AND NEW.status = 'signed_off' THEN
                RAISE EXCEPTION '{RECORD_MESSAGE}';
            END IF;
            IF TG_OP = 'DELETE' AND OLD.status = 'signed_off' THEN
                RAISE EXCEPTION '{MESSAGE}';
            END IF;
            IF TG_OP = 'UPDATE' AND OLD.status = 'signed_off' AND NEW.status = 'signed_off' THEN
                RAISE EXCEPTION '{MESSAGE}';
            END IF;
            IF TG_OP = 'UPDATE' AND OLD.status = 'signed_off' AND NEW.status <> 'signed_off'
                    AND {LATEST_RECORD.format(row="OLD")} <> 'reopened' THEN
                RAISE EXCEPTION '{RECORD_MESSAGE}';
            END IF;
            IF TG_OP = 'UPDATE' AND OLD.status <> 'signed_off' AND NEW.status = 'signed_off'
                    AND {LATEST_RECORD.format(row="OLD")} <> 'signed_off' THEN
                RAISE EXCEPTION '{RECORD_MESSAGE}';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql
    """
    yield (
        f"CREATE TRIGGER {ASSESSMENT}_locked BEFORE INSERT OR UPDATE OR DELETE ON {ASSESSMENT} "
        "FOR EACH ROW EXECUTE FUNCTION assessments_refuse_locked_assessment()"
    )


def _drop_statements(vendor: str):
    for table, names in expected_triggers(vendor).items():
        for name in sorted(names):
            yield f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if vendor == "postgresql" else "")
    if vendor == "postgresql":
        for name in (
            "assessments_refuse_if_locked",
            "assessments_refuse_answer_if_locked",
            "assessments_refuse_locked_assessment",
        ):
            yield f"DROP FUNCTION IF EXISTS {name}()"


def install(apps, schema_editor) -> None:
    """Drop and recreate every lock trigger (a RunPython forward function)."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = _sqlite_statements()
    elif vendor == "postgresql":
        statements = _postgresql_statements()
    else:
        raise NotImplementedError(f"No lock triggers written for {vendor}.")
    for statement in [*_drop_statements(vendor), *statements]:
        schema_editor.execute(statement)


def uninstall(apps, schema_editor) -> None:
    for statement in _drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)
