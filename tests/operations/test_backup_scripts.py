"""scripts/backup and scripts/restore-drill with stand-ins for pg_dump, pg_restore, psql
(and a tar that fails) first on PATH, so no PostgreSQL is needed
(tests/postgres/test_backup_drill.py runs them for real):

- a backup whose archive step fails leaves no set behind (no .dump without its files and
  checksums);
- the drill's scratch database keeps the query string of RESTORE_SERVER_URL (sslmode,
  sslrootcert=/path, ...), even one holding a "/"."""

import hashlib
import os
import stat
import subprocess
import tempfile
from pathlib import Path
from unittest import TestCase
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]

FAKE_PG_DUMP = """#!/usr/bin/env bash
out=""
while [ $# -gt 0 ]; do case "$1" in --file) out="$2"; shift 2 ;; *) shift ;; esac; done
printf 'PGDMP fake dump' > "$out"
"""
FAILING_TAR = """#!/usr/bin/env bash
echo "tar: write error: No space left on device" >&2
exit 2
"""
LOGGING = """#!/usr/bin/env bash
printf '%s\\n' "$(basename "$0") $*" >> "$CALLS"
exit {status}
"""


def _tool(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


class BackupTests(TestCase):
    def test_a_failed_archive_leaves_no_half_set(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            bin_, media, backups = tmp / "bin", tmp / "media", tmp / "backups"
            bin_.mkdir()
            media.mkdir()
            (media / "evidence.pdf").write_bytes(b"%PDF-1.4 x")
            _tool(bin_, "pg_dump", FAKE_PG_DUMP)
            _tool(bin_, "tar", FAILING_TAR)
            env = {
                **os.environ,
                "PATH": f"{bin_}:{os.environ['PATH']}",
                "DATABASE_URL": "postgres://ics:secret@db.example:5432/ics?sslmode=require",
                "MEDIA_ROOT": str(media),
                "BACKUP_DIR": str(backups),
            }
            done = subprocess.run([str(ROOT / "scripts" / "backup")], env=env, capture_output=True, text=True)
            self.assertNotEqual(done.returncode, 0)
            left = sorted(p.name for p in backups.iterdir())
            self.assertEqual(left, [], f"a failed backup left {left}")


class RestoreDrillTests(TestCase):
    def drill(self, server: str) -> list[str]:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            bin_, sets = tmp / "bin", tmp / "sets"
            bin_.mkdir()
            sets.mkdir()
            dump, archive = sets / "ics-20261206T020000Z.dump", sets / "ics-20261206T020000Z.media.tar.gz"
            dump.write_bytes(b"PGDMP fake dump")
            subprocess.run(["tar", "-czf", str(archive), "--files-from", "/dev/null"], check=True)
            sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in (dump, archive))
            (sets / "ics-20261206T020000Z.sha256").write_text(sums)
            _tool(bin_, "psql", LOGGING.format(status=0))
            _tool(bin_, "pg_restore", LOGGING.format(status=1))  # stop the drill there
            calls = tmp / "calls"
            env = {**os.environ, "PATH": f"{bin_}:{os.environ['PATH']}", "RESTORE_SERVER_URL": server}
            env["CALLS"] = str(calls)
            done = subprocess.run(
                [str(ROOT / "scripts" / "restore-drill"), str(dump)], env=env, capture_output=True, text=True
            )
            self.assertNotEqual(done.returncode, 0)
            return calls.read_text().splitlines()

    def scratch_url(self, calls: list[str]) -> str:
        (restore,) = [c for c in calls if c.startswith("pg_restore ")]
        words = restore.split()
        return words[words.index("--dbname") + 1]

    def test_the_scratch_address_keeps_the_servers_query_string(self):
        calls = self.drill("postgres://drill:pw@db.example:5432/postgres?sslmode=require")
        url = urlsplit(self.scratch_url(calls))
        self.assertTrue(url.path.startswith("/ics_restore_drill_"), url.path)
        self.assertEqual(parse_qs(url.query), {"sslmode": ["require"]})
        self.assertTrue(any("DROP DATABASE" in c for c in calls))  # cleaned up

    def test_a_query_holding_a_slash_does_not_swallow_the_scratch_name(self):
        server = "postgres://drill:pw@db.example:5432/postgres?sslmode=verify-full&sslrootcert=/etc/ssl/nhs-root.crt"
        url = urlsplit(self.scratch_url(self.drill(server)))
        self.assertTrue(url.path.startswith("/ics_restore_drill_"), url.geturl())
        self.assertEqual(parse_qs(url.query)["sslrootcert"], ["/etc/ssl/nhs-root.crt"])
