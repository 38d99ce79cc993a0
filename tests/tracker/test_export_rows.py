"""The tidy tables every tabular format writes, read back by the readers analysts use:
codes beside labels, no label a reader takes for a missing value or a number, one table
a CSV with its header on line 1, the JSON snapshot against its schema."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest

from tracker.domain.commands import LogFollowup, SetFields
from tracker.domain.model import FollowupKind, Status
from tracker.formats.csvfile import csv_value, write_table
from tracker.formats.export import Options, render
from tracker.formats.tables import county_table, rollup_table, status_label, task_table
from tracker.i18n import _, set_language
from tracker.storage.store import Store

from .conftest import Clock, measure_on
from .test_snapshot import snap

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "snapshot.schema.json").read_text())
# What pandas reads as missing by default (pandas.io.parsers: STR_NA_VALUES).
PANDAS_MISSING = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                  "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                  "nan", "null"}


def validate(document: dict[str, Any]) -> None:
    """The snapshot against docs/snapshot.schema.json (every JSON export of the suite
    passes through here or through test_snapshot.json_of)."""
    validator = jsonschema.Draft202012Validator(SCHEMA,
                                                format_checker=jsonschema.FormatChecker())
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


@pytest.fixture
def varied(store: Store, clock: Clock) -> Store:
    """Tasks with owners, follow-ups and texts a CSV or a sheet must keep as text; a
    task not applicable; a county with figures, and one with a staffing count."""
    texts = ['a, "quoted" owner', "=SUM(A1)", "<b>x</b> & | *y*", "-12.5", "NA", "绥中"]
    # Owners are groups or accounts the server knows; this store knows these as accounts
    # (an account name is whatever the server's passwd says), so that the exports must
    # keep them as text.
    store.known_account = lambda name: True
    counties = store.view().plan.counties
    for number, text in enumerate(texts):
        ident = f"{counties[number * 7].code}-{'2.5' if number % 2 else '1.1'}"
        store.apply(SetFields(ident, {"owner": text, "status": Status.IN_PROGRESS,
                                      "due": date(2018, 12, 31)}))
        store.apply(LogFollowup(ident, FollowupKind.CALL, f"{text}, again",
                                on=date(2018, 2, 1)))
    measure_on(store, counties[0].code, "permanent_volumes", 1000, date(2018, 1, 10))
    measure_on(store, counties[0].code, "digitized_permanent_volumes", 250, date(2018, 1, 10))
    measure_on(store, counties[1].code, "staff", 3, date(2018, 1, 10))
    measure_on(store, counties[1].code, "holdings", 90000, date(2018, 1, 10))
    for n in range(36):  # 36 tasks not applicable: the 36 NaN statuses
        store.apply(SetFields(f"{counties[2 + n].code}-1.2",
                              {"status": Status.NOT_APPLICABLE}, comment="merged"))
    clock.advance(days=400)
    return store


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_label_a_reader_takes_for_missing_or_a_number(lang: str) -> None:
    """The labels the exports write: statuses (the English one was "n/a"), progress,
    follow-up kinds."""
    set_language(lang)
    labels = [status_label(s.value) for s in Status]
    labels += [_(f"progress.{s}") for s in ("met", "on_track", "at_risk", "off_track",
                                             "no_data")]
    labels += [_(f"kind.{k.value}") for k in FollowupKind]
    assert not PANDAS_MISSING & set(labels)
    for label in labels:
        with pytest.raises(ValueError):
            float(label)


def test_task_table_has_codes_beside_labels(varied: Store) -> None:
    set_language("zh")
    table = task_table(snap(varied))
    codes = [c.code for c in table.columns]
    assert codes[:8] == ["task_id", "prefecture_code", "prefecture", "county_code", "county",
                         "recommendation", "status", "status_label"]
    rows = [dict(zip(codes, row, strict=True)) for row in table.rows]
    na = [r for r in rows if r["status"] == "not_applicable"]
    assert len(na) == 36 and {r["status_label"] for r in na} == {"不适用"}
    assert all(isinstance(r["recommendation"], str) for r in rows)
    assert {type(r["overdue"]) for r in rows} == {bool}
    assert any(isinstance(r["due"], date) for r in rows)


def test_tidy_csv_loads_in_pandas_with_no_argument(varied: Store, tmp_path: Path) -> None:
    """Header on line 1, one table: pd.read_csv(PATH) alone; 36 statuses not applicable,
    none missing; recommendations text, owners as typed (even "NA" and "=SUM(A1)")."""
    path = tmp_path / "tasks.csv"
    path.write_bytes(render(snap(varied), "csv"))
    assert path.read_bytes().startswith(b"\xef\xbb\xbftask_id,")
    frame = pd.read_csv(path)
    assert len(frame) == 700 and list(frame.columns)[:2] == ["task_id", "prefecture_code"]
    assert frame["status"].isna().sum() == 0 and frame["status_label"].isna().sum() == 0
    assert (frame["status"] == "not_applicable").sum() == 36
    assert set(frame["status_label"][frame["status"] == "not_applicable"]) == {
        "not applicable"}
    assert not pd.api.types.is_numeric_dtype(frame["recommendation"])
    assert set(frame["recommendation"]) == {"R1.1", "R1.2", "R2.1", "R2.2", "R2.3", "R2.4",
                                            "R2.5"}
    assert frame["overdue"].dtype == bool
    owners = set(frame["owner"].dropna())
    assert {"'=SUM(A1)", 'a, "quoted" owner', "绥中", "-12.5"} <= owners


@pytest.mark.parametrize("table", ["tasks", "counties", "rollups"])
def test_every_table_reads_back_in_pandas_and_the_csv_module(varied: Store, table: str) -> None:
    snapshot = snap(varied)
    facts = [dict(f) for f in varied.view().plan.raw["facts"]]
    data = render(snapshot, "csv", Options(table=table, facts=facts))
    frame = pd.read_csv(io.BytesIO(data))
    made = {"tasks": task_table, "rollups": rollup_table,
            "counties": lambda s: county_table(s, facts)}[table](snapshot)
    assert list(frame.columns) == [c.code for c in made.columns]
    assert len(frame) == len(made.rows)
    for column in frame.columns:
        if column.endswith("status"):
            assert frame[column].isna().sum() == 0, column
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1:] == [[csv_value(v) for v in row] for row in _csv_rows(made)]


def _csv_rows(table: Any) -> list[list[Any]]:
    return [list(row) for row in table.rows]


def test_csv_is_what_the_csv_module_writes(varied: Store) -> None:
    table = task_table(snap(varied))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.code for c in table.columns])
    writer.writerows([csv_value(v) for v in row] for row in _csv_rows(table))
    assert write_table(table) == out.getvalue().encode("utf-8-sig")


def test_counties_table_holds_every_fact_and_value(varied: Store) -> None:
    view = varied.view()
    facts = [dict(f) for f in view.plan.raw["facts"]]
    table = county_table(snap(varied), facts)
    codes = [c.code for c in table.columns]
    assert len(table.rows) == 100
    first = dict(zip(codes, table.rows[0], strict=True))
    assert first["permanent_volumes"] == 1000
    assert first["permanent_volumes_date"] == date(2018, 1, 10)
    assert first["digitized_share"] == 25.0 and first["digitized_share_status"] == "at_risk"
    second = dict(zip(codes, table.rows[1], strict=True))
    assert second["staffing"] == 3 and second["staffing_required"] == 16


def test_json_validates_against_the_schema_and_normalises(varied: Store) -> None:
    document = json.loads(render(snap(varied), "json"))
    validate(document)
    frame = pd.json_normalize(document["tasks"])
    assert len(frame) == 700 and frame["status"].isna().sum() == 0
    assert "last_followup.outcome" in frame.columns
    broken = json.loads(json.dumps(document))
    broken["tasks"][0]["status"] = "n/a"
    with pytest.raises(AssertionError):
        validate(broken)
