"""Bulk changes over list filters and attachments (evidence), through the installed
`tracker` command (issue 15)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from tests.e2e.test_cli import TRACKER, run
from tracker.domain.commands import AddUser
from tracker.domain.plan import builtin_plan
from tracker.storage.identity import current_user
from tracker.storage.store import Store

TASK = "211421-2.5"


def _list(db: Path, *args: str) -> list[dict]:
    return json.loads(run(db, "list", "--json", *args).stdout)


def _journal(db: Path) -> list[dict]:
    path = db.with_name(db.name + ".history")
    return [json.loads(line) for line in path.read_bytes().splitlines()]


# -- bulk ---------------------------------------------------------------------------------------
def test_bulk_set_previews_then_applies_in_one_write_with_yes(db: Path) -> None:
    before = db.with_name(db.name + ".history").read_bytes()
    preview = run(db, "set", "--prefecture", "葫芦岛", "--rec", "2.5", "--owner", "G03")
    lines = preview.stdout.splitlines()
    assert lines[0] == "Would change 6 tasks:"
    assert "211421-2.5: owner - → G03" in lines
    assert lines[-1].startswith("Nothing was written. Run the same command with --yes")
    assert db.with_name(db.name + ".history").read_bytes() == before  # nothing written

    done = run(db, "set", "--prefecture", "葫芦岛", "--rec", "2.5", "--owner", "G03", "--yes")
    assert "6 tasks changed in one write (6 events)." in done.stdout
    assert {t["owner"] for t in _list(db, "--prefecture", "葫芦岛", "--rec", "2.5")} == {"G03"}
    assert {t["owner"] for t in _list(db, "--prefecture", "沈阳", "--rec", "2.5")} == {None}
    group = [e for e in _journal(db) if e["type"] == "set"]
    assert [e["txn"] for e in group] == [[i, 6] for i in range(1, 7)]  # one commit group
    # Again: every task has it already, nothing to change, nothing written
    again = run(db, "set", "--prefecture", "葫芦岛", "--rec", "2.5", "--owner", "G03", "--yes")
    assert "already has these values" in again.stdout
    run(db, "verify")


def test_bulk_preview_and_apply_in_json(db: Path) -> None:
    """A script reads what a bulk change would do (nothing written), then what it did."""
    history = db.with_name(db.name + ".history")
    before = history.read_bytes()
    args = ("set", "--prefecture", "葫芦岛", "--rec", "2.5", "--owner", "G03", "--json")
    preview = run(db, *args)
    data = json.loads(preview.stdout)
    assert data["dry_run"] is True and data["events"] == [] and data["head"] is None
    would = {(c["task"], c["field"], c["old"], c["new"]) for c in data["would_change"]}
    assert len(would) == 6 and ("211421-2.5", "owner", None, "G03") in would
    assert "Would change 6 tasks:" in preview.stderr
    assert history.read_bytes() == before
    done = json.loads(run(db, *args, "--yes").stdout)
    assert "would_change" not in done and len(done["events"]) == 6
    assert {(c["task"], c["field"], c["old"], c["new"]) for c in done["changed"]} == would
    assert set(done["versions"]) == {task for task, *_rest in would}


def test_bulk_due_with_one_reason_and_a_filter_on_status(db: Path) -> None:
    run(db, "set", TASK, "--status", "in_progress")
    out = run(db, "set", "--where-status", "in_progress", "--due", "2021-06-30",
              "--comment", "extension granted by the bureau", "--yes").stdout
    assert "1 tasks changed in one write" in out
    shown = json.loads(run(db, "show", TASK, "--json").stdout)
    assert shown["due"] == "2021-06-30"
    refused = run(db, "set", "--rec", "2.5", "--due", "2022-01-01", "--yes", check=1)
    assert "nothing was written" in refused.stderr
    assert "why" in refused.stderr.lower() or "reason" in refused.stderr.lower()


def test_bulk_followup_logs_one_follow_up_per_task(db: Path) -> None:
    out = run(db, "followup", "--county", "绥中", "--kind", "document",
              "--outcome", "安全责任书已收到", "--date", "2019-06-20").stdout
    assert out.splitlines()[0] == "Would change 7 tasks:"
    assert "211421-2.5: document 2019-06-20: 安全责任书已收到" in out
    run(db, "followup", "--county", "绥中", "--kind", "document",
        "--outcome", "安全责任书已收到", "--date", "2019-06-20", "--yes")
    followups = [e for e in _journal(db) if e["type"] == "followup"]
    assert len(followups) == 7 and {e["txn"][1] for e in followups} == {7}


def test_bulk_usage_errors(db: Path) -> None:
    both = run(db, "set", TASK, "--rec", "2.5", "--owner", "G03", check=2)
    assert "give one task, or filters" in both.stderr
    none = run(db, "set", "--owner", "G03", check=2)
    assert "which task?" in none.stderr
    nothing = run(db, "set", "--county", "绥中", "--where-status", "done", "--owner", "G03",
                  check=2)
    assert "no task matches these filters" in nothing.stderr


def test_one_refused_task_refuses_the_batch_naming_it(tmp_path: Path) -> None:
    """An editor limited to Huludao: a change of every 2.5 task is refused as a whole,
    naming the first task outside the limits; nothing is written."""
    db = tmp_path / "tracker.json"
    store = Store(db)
    store.user = "registrar"
    store.create(builtin_plan())
    store.apply(AddUser(current_user(), "editor", prefectures=("211400",)))
    journal = db.with_name(db.name + ".history").read_bytes()
    for extra in ((), ("--yes",)):
        refused = run(db, "set", "--rec", "2.5", "--owner", "G03", *extra, check=1)
        assert ("The change of 100 tasks is refused as a whole, nothing was written: "
                in refused.stderr)
        assert len(refused.stderr.splitlines()) == 1
        assert (f"{current_user()} may edit only tasks within prefectures 211400: "
                "210102-2.5 is in prefecture 210100") in refused.stderr
    assert db.with_name(db.name + ".history").read_bytes() == journal
    ok = run(db, "set", "--prefecture", "211400", "--rec", "2.5", "--owner", "G03", "--yes")
    assert "6 tasks changed" in ok.stdout


# -- attachments --------------------------------------------------------------------------------
def _attachments(db: Path) -> Path:
    return db.with_name(db.name + ".attachments")


def test_attach_and_get_back_identical_bytes(db: Path, tmp_path: Path) -> None:
    source = tmp_path / "安全责任书.pdf"
    data = b"%PDF-1.4\n" + os.urandom(200_000)
    source.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    out = run(db, "attach", "绥中-2.5", str(source), "--note", "县局盖章版").stdout
    assert f"attached 安全责任书.pdf (200009 bytes, sha256 {sha})" in out
    stored = _attachments(db) / sha
    assert stored.read_bytes() == data
    assert stored.stat().st_mode & 0o222 == 0  # never written again
    shown = json.loads(run(db, "show", TASK, "--json").stdout)
    [attached] = shown["attachments"]
    assert (attached["name"], attached["size"], attached["sha256"]) == ("安全责任书.pdf",
                                                                        len(data), sha)
    assert attached["media_type"] == "application/pdf" and attached["note"] == "县局盖章版"
    assert "安全责任书.pdf" in run(db, "show", TASK).stdout

    back = subprocess.run([TRACKER, "--db", str(db), "attachment", "get", sha[:10], "-o", "-"],
                          capture_output=True, timeout=60)
    assert back.returncode == 0 and back.stdout == data
    target = tmp_path / "copy.pdf"
    run(db, "attachment", "get", sha, "-o", str(target))
    assert target.read_bytes() == data
    exists = run(db, "attachment", "get", sha, "-o", str(target), check=2)
    assert "--force" in exists.stderr
    # The same file again is stored once, recorded twice
    run(db, "attach", "211421-1.1", str(source))
    assert os.listdir(_attachments(db)) == [sha]
    run(db, "verify")


def test_attach_from_standard_input_needs_a_name(db: Path) -> None:
    data = os.urandom(5000)
    environ = {**os.environ, "LANG": "C.UTF-8"}
    environ.pop("TRACKER_DB", None)
    piped = subprocess.run([TRACKER, "--db", str(db), "attach", TASK, "-", "--name",
                            "scan.jpg"], input=data, capture_output=True, timeout=60,
                           env=environ)
    assert piped.returncode == 0, piped.stderr
    sha = hashlib.sha256(data).hexdigest()
    back = subprocess.run([TRACKER, "--db", str(db), "attachment", "get", sha, "-o", "-"],
                          capture_output=True, timeout=60, env=environ)
    assert back.stdout == data
    [attached] = json.loads(run(db, "show", TASK, "--json").stdout)["attachments"]
    assert attached["media_type"] == "image/jpeg"
    nameless = subprocess.run([TRACKER, "--db", str(db), "attach", TASK, "-"], input=data,
                              capture_output=True, timeout=60, env=environ)
    assert nameless.returncode == 2 and b"--name" in nameless.stderr


def test_verify_catches_a_changed_and_a_missing_attachment(db: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.pdf", tmp_path / "two.pdf"
    one.write_bytes(b"one")
    two.write_bytes(b"two")
    run(db, "attach", TASK, str(one))
    run(db, "attach", TASK, str(two))
    run(db, "verify")
    first = _attachments(db) / hashlib.sha256(b"one").hexdigest()
    first.chmod(0o600)
    first.write_bytes(b"ONE")
    (_attachments(db) / hashlib.sha256(b"two").hexdigest()).unlink()
    found = run(db, "verify", check=1).stdout
    assert "one.pdf of 211421-2.5" in found and "no longer matches its hash" in found
    assert "two.pdf of 211421-2.5" in found and "is missing" in found
    got = run(db, "attachment", "get", hashlib.sha256(b"one").hexdigest(), "-o", "-",
              check=1)
    assert "no longer matches its hash" in got.stderr and got.stdout == ""


def test_the_size_limit_refuses_naming_it(db: Path, tmp_path: Path) -> None:
    run(db, "config", "attachment_max_mb", "1")
    big = tmp_path / "big.tif"
    big.write_bytes(b"\0" * (1024 * 1024 + 1))
    refused = run(db, "attach", TASK, str(big), check=1)
    assert "larger than the attachment limit of 1 MB" in refused.stderr
    assert "attachment_max_mb" in refused.stderr
    assert [p for p in _attachments(db).iterdir()] == []  # nothing kept, not a temp file
    assert not [e for e in _journal(db) if e["type"] == "attach"]
    fits = tmp_path / "fits.tif"
    fits.write_bytes(b"\0" * (1024 * 1024))
    run(db, "attach", TASK, str(fits))


def test_attach_refuses_what_is_not_a_file(db: Path, tmp_path: Path) -> None:
    assert "not a regular file" in run(db, "attach", TASK, str(tmp_path), check=2).stderr
    assert "cannot be read" in run(db, "attach", TASK, str(tmp_path / "no.pdf"),
                                   check=2).stderr


def test_exports_list_attachments_with_their_hashes_and_backup_says_it_has_none(
        db: Path, tmp_path: Path) -> None:
    import csv
    import io

    source = tmp_path / "agreement.pdf"
    source.write_bytes(b"%PDF agreement")
    run(db, "attach", TASK, str(source), "--note", "signed")
    out = run(db, "export", "--format", "csv", "--table", "attachments", "-o", "-").stdout
    [row] = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert (row["task"], row["name"], row["size"]) == (TASK, "agreement.pdf", "14")
    assert row["sha256"] == hashlib.sha256(b"%PDF agreement").hexdigest()
    history = run(db, "export", "--format", "csv", "--table", "history", "-o", "-").stdout
    assert row["sha256"] in history
    said = run(db, "backup", "-o", str(tmp_path / "b.json")).stdout
    assert "Attachments are not in the backup" in said
    assert str(_attachments(db)) in said
