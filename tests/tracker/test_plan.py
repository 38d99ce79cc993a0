"""The built-in plan against the shared data, the staffing standard, and plan validation."""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tracker import i18n
from tracker.domain.errors import NotFoundError, PlanError
from tracker.domain.plan import (
    BUILTIN_PLANS,
    IndicatorKind,
    Plan,
    StaffingStandard,
    Text,
    builtin_plan,
    canonical_json,
    load_plan,
    plan_digest,
    plan_from_dict,
)
from tracker.locales import plan as plan_catalog

PLAN_SOURCE = Path(__file__).resolve().parents[2] / "tracker" / "domain" / "plan.py"


def _shared_dir() -> Path:
    override = os.environ.get("TRACKER_SHARED")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared"


def _read_csv(name: str) -> list[dict[str, str]]:
    path = _shared_dir() / "data" / name
    if not path.is_file():
        pytest.skip(f"shared data not found: {path} (set TRACKER_SHARED)")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    before = i18n.get_language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return builtin_plan()


@pytest.fixture(scope="module")
def county_rows() -> list[dict[str, str]]:
    return _read_csv("liaoning-counties-2017.csv")


# --- the built-in plan against the shared CSVs ----------------------------------------


def test_builtin_is_cached_and_listed(plan: Plan) -> None:
    assert BUILTIN_PLANS == ("liaoning-2017",)
    assert builtin_plan("liaoning-2017") is plan
    assert plan.id == "liaoning-2017"


def test_counties_match_csv(plan: Plan, county_rows: list[dict[str, str]]) -> None:
    assert len(county_rows) == 100
    assert [c.code for c in plan.counties] == [r["code"] for r in county_rows]
    for county, row in zip(plan.counties, county_rows, strict=True):
        assert county.name == Text(zh=row["name_zh"], en=row["name_en"])
        assert county.kind == row["kind"]
        assert county.prefecture == row["prefecture_code"]


def test_prefectures_match_csv(plan: Plan, county_rows: list[dict[str, str]]) -> None:
    expected = {
        r["prefecture_code"]: Text(zh=r["prefecture_zh"], en=r["prefecture_en"])
        for r in county_rows
    }
    assert len(expected) == 14
    assert [p.code for p in plan.prefectures] == sorted(expected)
    for p in plan.prefectures:
        assert p.name == expected[p.code]
        assert len(plan.counties_in(p.code)) == sum(
            r["prefecture_code"] == p.code for r in county_rows
        )


def test_survey_units_match_csv(plan: Plan) -> None:
    rows = _read_csv("survey-units-2017.csv")
    kinds = ("county_archives", "county_organs", "township_organs", "villages_communities")
    body = [r for r in rows if r["prefecture_zh"] != "合计"]
    assert len(body) == len(plan.survey_units) == 14
    for units, row in zip(plan.survey_units, body, strict=True):
        assert plan.prefecture(units.prefecture).name.zh == row["prefecture_zh"] + "市"
        for kind in kinds:
            assert getattr(units, kind) == int(row[kind]), (row["prefecture_zh"], kind)
        assert units.total == int(row["total"])
    totals = [sum(getattr(u, k) for u in plan.survey_units) for k in kinds]
    assert totals == [100, 101, 100, 112]
    assert sum(u.total for u in plan.survey_units) == 413


def test_survey_county_archives_equal_counties_per_prefecture(plan: Plan) -> None:
    for units in plan.survey_units:
        assert units.county_archives == len(plan.counties_in(units.prefecture))


def test_survey_metadata(plan: Plan) -> None:
    assert (plan.survey_start, plan.survey_end) == (date(2017, 5, 15), date(2017, 5, 26))
    assert plan.survey_groups == 20
    assert plan.raw["survey"]["people_per_group"] == 3
    assert plan.horizon == date(2020, 12, 31)
    assert "兰台世界" in plan.source.zh and "2017-08-29" in plan.source.en


# --- findings, recommendations, indicators --------------------------------------------


def test_findings_and_recommendations(plan: Plan) -> None:
    assert [a.id for a in plan.finding_areas] == ["1", "2", "3", "4"]
    assert [f.id for f in plan.findings] == [
        *("1.1", "1.2", "1.3"),
        *(f"2.{i}" for i in range(1, 8)),
        *("3.1", "3.2", "3.3"),
        "4",
    ]
    assert all(plan.finding(f.id).area == f.id.split(".")[0] for f in plan.findings)
    assert [r.id for r in plan.recommendations] == ["1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"]
    answered = {fid for r in plan.recommendations for fid in r.findings}
    assert answered == {f.id for f in plan.findings}
    assert plan.recommendation("2.5").findings == ("4",)
    assert plan.recommendation("1.1").findings == ("1.1", "1.2", "1.3")
    assert all(r.deadline == date(2020, 12, 31) for r in plan.recommendations)
    assert "93%" in plan.finding("2.2").summary.en and "93%" in plan.finding("2.2").summary.zh
    for lang in ("en", "zh"):
        summary = plan.finding("4").summary.get(lang)
        assert "100%" in summary and "71%" in summary and "60%" in summary


INDICATORS = {
    # id: (kind, comparison, threshold, deadline, period, recommendation, derived_from)
    "digitized_share": (
        IndicatorKind.PERCENT,
        ">=",
        60,
        date(2020, 12, 31),
        "once",
        "2.5",
        ("digitized_permanent_volumes", "permanent_volumes"),
    ),
    "budget_funding": (IndicatorKind.YES_NO, "==", True, date(2020, 12, 31), "once", "1.1", ()),
    "maintenance_fee": (IndicatorKind.AMOUNT, ">=", 2, None, "yearly", "1.1", ()),
    "staffing": (
        IndicatorKind.COUNT,
        ">=standard",
        None,
        date(2020, 12, 31),
        "once",
        "2.3",
        ("staff", "holdings"),
    ),
    "security_mechanism": (
        IndicatorKind.YES_NO,
        "==",
        True,
        date(2017, 12, 31),
        "once",
        "2.4",
        (),
    ),
    "enforcement_inspection": (IndicatorKind.YES_NO, "==", True, None, "yearly", "2.1", ()),
    "assessment_date_set": (IndicatorKind.DATE, "set", None, date(2020, 12, 31), "once", "2.5", ()),
    "development_plan": (IndicatorKind.YES_NO, "==", True, date(2020, 12, 31), "once", "1.1", ()),
}


def test_indicators_are_the_facts_table(plan: Plan) -> None:
    assert [i.id for i in plan.indicators] == list(INDICATORS)
    for ind in plan.indicators:
        kind, comparison, threshold, deadline, period, rec, derived = INDICATORS[ind.id]
        assert ind.kind is kind, ind.id
        assert ind.comparison == comparison, ind.id
        assert ind.threshold == threshold and type(ind.threshold) is type(
            float(threshold) if type(threshold) is int else threshold
        ), ind.id
        assert ind.deadline == deadline, ind.id
        assert ind.period == period, ind.id
        assert ind.recommendation == rec, ind.id
        assert ind.derived_from == derived, ind.id
        assert plan.recommendation(ind.recommendation)
        assert all(plan.fact(f) for f in ind.derived_from)
    assert "93%" in plan.indicator("enforcement_inspection").baseline.en
    assert "Suizhong" in plan.indicator("digitized_share").baseline.en


def test_facts(plan: Plan) -> None:
    assert [f.id for f in plan.facts] == [
        "holdings",
        "permanent_volumes",
        "digitized_permanent_volumes",
        "staff",
    ]
    assert all(f.kind is IndicatorKind.COUNT for f in plan.facts)
    assert plan.fact("holdings").unit.zh == "卷"
    assert plan.fact("staff").unit.zh == "人"


def test_deadline_for() -> None:
    p = builtin_plan()
    yearly = p.indicator("maintenance_fee")
    assert yearly.deadline_for(date(2018, 3, 1)) == date(2018, 12, 31)
    assert yearly.deadline_for(date(2021, 12, 31)) == date(2021, 12, 31)
    once = p.indicator("security_mechanism")
    assert once.deadline_for(date(2019, 1, 1)) == date(2017, 12, 31)


# --- the staffing standard --------------------------------------------------------------


@pytest.mark.parametrize(
    ("holdings", "extra"),
    [
        (0, 0),
        (9_999, 0),
        (10_000, 0),
        (10_001, 0),
        (14_999, 0),
        (15_000, 1),
        (19_999, 1),
        (20_000, 2),
        (299_999, 57),
        (300_000, 58),
        (300_001, 58),
        (306_999, 58),
        (307_000, 59),
        (1_000_000, 158),
    ],
)
def test_staffing_standard_boundaries(plan: Plan, holdings: int, extra: int) -> None:
    assert plan.staffing.base_staff == 0
    assert plan.staffing.required(holdings) == extra


def test_staffing_standard_base_and_monotone(plan: Plan) -> None:
    standard = StaffingStandard(
        base_staff=5,
        lower=10_000,
        lower_step=5_000,
        upper=300_000,
        upper_step=7_000,
        note=plan.staffing.note,
    )
    assert standard.required(0) == 5
    assert standard.required(307_000) == 64
    previous = 0
    for holdings in range(0, 1_200_000, 997):
        now = plan.staffing.required(holdings)
        assert previous <= now <= previous + 1
        previous = now
    with pytest.raises(ValueError):
        plan.staffing.required(-1)


# --- lookups ------------------------------------------------------------------------------


def test_find_counties(plan: Plan) -> None:
    suizhong = plan.county("211421")
    assert suizhong.name == Text(zh="绥中县", en="Suizhong County")
    assert plan.find_counties("绥中") == [suizhong]
    assert plan.find_counties("211421") == [suizhong]
    assert plan.find_counties("SuiZhong") == [suizhong]
    assert plan.find_counties("  suizhong county ") == [suizhong]
    assert plan.find_counties("") == []
    assert plan.find_counties("no such place") == []


def test_find_counties_exact_beats_substring(plan: Plan) -> None:
    # 朝阳县 is an exact zh name; substring would also give nothing else, so use 铁西区,
    # the one zh name shared by two districts, and "Chaoyang County" vs Chaoyang prefecture.
    assert [c.code for c in plan.find_counties("铁西区")] == ["210106", "210303"]
    assert [c.code for c in plan.find_counties("chaoyang county")] == ["211321"]
    assert len(plan.find_counties("district")) == 59


def test_find_prefecture(plan: Plan) -> None:
    for query in ("211400", "葫芦岛市", "葫芦岛", "Huludao", "huludao", " HULUDAO "):
        assert plan.find_prefecture(query).code == "211400"
    with pytest.raises(NotFoundError, match="Atlantis"):
        plan.find_prefecture("Atlantis")


def test_lookups_raise_not_found(plan: Plan) -> None:
    calls: list[Callable[[str], object]] = [
        plan.county,
        plan.prefecture,
        plan.recommendation,
        plan.indicator,
        plan.fact,
        plan.finding,
        plan.counties_in,
    ]
    for call in calls:
        with pytest.raises(NotFoundError, match="999999") as info:
            call("999999")
        assert info.value.params == {"query": "999999"}


def test_text_get() -> None:
    t = Text(zh="中", en="mid")
    assert t.get("zh") == "中" and t.get("en") == "mid"
    i18n.set_language("zh")
    assert t.get() == "中"
    with pytest.raises(ValueError):
        t.get("fr")


# --- identity -----------------------------------------------------------------------------


def test_raw_and_sha256(plan: Plan, tmp_path: Path) -> None:
    assert plan.raw["id"] == "liaoning-2017"
    assert len(plan.sha256) == 64
    # Reformatting the file does not change the plan's identity.
    path = tmp_path / "compact.json"
    path.write_text(json.dumps(plan.raw, ensure_ascii=True), encoding="utf-8")
    again = load_plan(path)
    assert again.sha256 == plan.sha256
    assert again == plan
    assert canonical_json(again.raw) == canonical_json(plan.raw)


@pytest.mark.parametrize("orjson_loaded", [True, False])
def test_recorded_digest_is_checked_whichever_encoder_computes_it(
    plan: Plan, orjson_loaded: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database records its plan's sha256; reading it back takes the quick encoder's
    digest (when orjson is loaded) only when it is the recorded one. A float orjson writes
    otherwise than the reference encoder (1e-05 vs 1e-5) still gives the reference
    digest, and a changed plan never takes the recorded one."""
    import orjson

    monkeypatch.setitem(sys.modules, "orjson", orjson if orjson_loaded else None)
    reference = hashlib.sha256(canonical_json(plan.raw)).hexdigest()
    assert plan_digest(plan.raw) == reference == plan.sha256
    assert plan_digest(plan.raw, reference) == reference
    data = copy.deepcopy(plan.raw)
    data["indicators"][0]["threshold"] = 1e-05
    assert b"1e-05" in canonical_json(data)
    expected = hashlib.sha256(canonical_json(data)).hexdigest()
    assert plan_digest(data, expected) == expected
    built = plan_from_dict(data, source="x", sha256=expected)
    assert built.sha256 == expected and built.raw == data and built.raw is not data
    assert plan_digest(data, reference) == expected  # edited: not the recorded digest


def test_raw_is_a_copy(plan: Plan) -> None:
    data = copy.deepcopy(plan.raw)
    built = plan_from_dict(data, source="x.json")
    data["counties"].clear()
    assert len(built.raw["counties"]) == 100


# --- malformed plans ------------------------------------------------------------------


def _write(tmp_path: Path, data: Any, name: str = "broken-plan.json") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def _raw() -> dict[str, Any]:
    return copy.deepcopy(builtin_plan().raw)


def _error(tmp_path: Path, data: Any) -> PlanError:
    path = _write(tmp_path, data)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    message = str(info.value)
    assert "broken-plan.json" in message, message
    return info.value


def test_not_json(tmp_path: Path) -> None:
    err = _error(tmp_path, '{\n  "format": 1,\n  "id": oops\n}\n')
    assert err.key == "plan.bad_json"
    assert "line 3" in str(err) and "not valid JSON" in str(err)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=re.escape("nowhere.json: plan file not found")):
        load_plan(tmp_path / "nowhere.json")


def test_directory_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the plan file"):
        load_plan(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "broken-plan.json"
    path.write_bytes('{"id": "沈阳"}'.encode("gbk"))
    with pytest.raises(PlanError, match=re.escape("broken-plan.json: not UTF-8")):
        load_plan(path)


def test_top_level_not_object(tmp_path: Path) -> None:
    err = _error(tmp_path, "[1, 2]")
    assert str(err).endswith("a plan must be a JSON object, found a list")


def test_nan_and_duplicate_keys_rejected(tmp_path: Path) -> None:
    assert "NaN" in str(_error(tmp_path, '{"format": NaN}'))
    err = _error(tmp_path, '{"format": 1, "format": 1}')
    assert err.key == "plan.duplicate_key" and '"format"' in str(err)


def _mutated(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = _raw()
    edit(data)
    return data


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    # (name, edit, expected path inside the file, expected problem text)
    (
        "missing key",
        lambda d: d["counties"][12].pop("kind"),
        "counties[12].kind",
        "missing",
    ),
    (
        "missing top-level key",
        lambda d: d.pop("horizon"),
        "horizon",
        "missing",
    ),
    (
        "unknown top-level key",
        lambda d: d.update(colour="red"),
        "colour",
        "unknown key",
    ),
    (
        "wrong type",
        lambda d: d["survey"].update(groups="20"),
        "survey.groups",
        "expected a whole number, found a string",
    ),
    (
        "code as number",
        lambda d: d["counties"][3].update(code=210106),
        "counties[3].code",
        "expected a string, found a whole number",
    ),
    (
        "unknown recommendation in an indicator",
        lambda d: d["indicators"][2].update(recommendation="9.9"),
        "indicators[2].recommendation",
        '"9.9" does not match any recommendations[].id',
    ),
    (
        "unknown finding in a recommendation",
        lambda d: d["recommendations"][3]["findings"].__setitem__(1, "3.9"),
        "recommendations[3].findings[1]",
        '"3.9" does not match any finding_areas[].findings[].id',
    ),
    (
        "unknown prefecture",
        lambda d: d["counties"][0].update(prefecture="219900"),
        "counties[0].prefecture",
        '"219900" does not match any prefectures[].code',
    ),
    (
        "unknown fact",
        lambda d: d["indicators"][0]["derived_from"].__setitem__(0, "scans"),
        "indicators[0].derived_from[0]",
        '"scans" does not match any facts[].id',
    ),
    (
        "duplicate county code",
        lambda d: d["counties"][5].update(code=d["counties"][4]["code"]),
        "counties[5].code",
        '"210106" is used twice (first at counties[4].code)',
    ),
    (
        "duplicate indicator id",
        lambda d: d["indicators"][7].update(id="staffing"),
        "indicators[7].id",
        "used twice",
    ),
    (
        "bad date",
        lambda d: d["recommendations"][0].update(deadline="2020-02-30"),
        "recommendations[0].deadline",
        '"2020-02-30" is not a date in the form YYYY-MM-DD',
    ),
    (
        "date in another form",
        lambda d: d["survey"].update(start="20170515"),
        "survey.start",
        "is not a date",
    ),
    (
        "missing zh",
        lambda d: d["finding_areas"][1]["findings"][2]["title"].pop("zh"),
        "finding_areas[1].findings[2].title.zh",
        "missing",
    ),
    (
        "extra language",
        lambda d: d["title"].update(fr="Plan"),
        "title.fr",
        "unknown key (allowed here: zh, en)",
    ),
    (
        "empty text",
        lambda d: d["counties"][7]["name"].update(en="  "),
        "counties[7].name.en",
        "must not be empty",
    ),
    (
        "control characters",
        lambda d: d["counties"][7]["name"].update(en="Tie\x1b[31mxi"),
        "counties[7].name.en",
        "control characters",
    ),
    (
        "bad enum",
        lambda d: d["counties"][0].update(kind="City"),
        "counties[0].kind",
        '"City" is not one of',
    ),
    (
        "bad indicator kind",
        lambda d: d["indicators"][1].update(kind="boolean"),
        "indicators[1].kind",
        '"boolean" is not one of "percent", "yes_no", "amount", "count", "date"',
    ),
    (
        "five-digit code",
        lambda d: d["counties"][12].update(code="21102"),
        "counties[12].code",
        "not a 6-digit",
    ),
    (
        "non-ASCII digits in a code",
        lambda d: d["counties"][12].update(code="٢١٠١٠٦"),
        "counties[12].code",
        "not a 6-digit",
    ),
    (
        "county outside its prefecture",
        lambda d: d["counties"][0].update(prefecture="210200"),
        "counties[0].code",
        "does not lie in prefecture",
    ),
    (
        "unanswered finding",
        lambda d: d["recommendations"].pop(),
        "finding_areas[3].findings[0].id",
        'finding "4" is not answered by any recommendation',
    ),
    (
        "finding outside its area",
        lambda d: d["finding_areas"][0]["findings"][0].update(id="2.8"),
        "finding_areas[0].findings[0].id",
        'does not belong under "1"',
    ),
    (
        "yes/no threshold not boolean",
        lambda d: d["indicators"][1].update(threshold=1),
        "indicators[1].threshold",
        "expected true or false",
    ),
    (
        "percent over 100",
        lambda d: d["indicators"][0].update(threshold=160),
        "indicators[0].threshold",
        "too large",
    ),
    (
        "comparison unfit for kind",
        lambda d: d["indicators"][1].update(comparison=">="),
        "indicators[1].comparison",
        '">=" is not one of "=="',
    ),
    (
        "yearly with a deadline",
        lambda d: d["indicators"][2].update(deadline="2019-12-31"),
        "indicators[2].deadline",
        "must be null",
    ),
    (
        "once without a deadline",
        lambda d: d["indicators"][0].update(deadline=None),
        "indicators[0].deadline",
        "needs a deadline",
    ),
    (
        "deadline after horizon",
        lambda d: d["indicators"][0].update(deadline="2025-12-31"),
        "indicators[0].deadline",
        "after the plan's horizon",
    ),
    (
        "staffing needs two facts",
        lambda d: d["indicators"][3].update(derived_from=["staff"]),
        "indicators[3].derived_from",
        "computed from 2 facts, found 1",
    ),
    (
        "wrong format version",
        lambda d: d.update(format=2),
        "format",
        "not supported",
    ),
    (
        "group with two titles",
        lambda d: d["recommendations"][1]["group_title"].update(en="Other"),
        "recommendations[1].group_title",
        'group "1" already has a different title at recommendations[0].group_title',
    ),
    (
        "staffing upper below lower",
        lambda d: d["staffing_standard"].update(upper=5000),
        "staffing_standard.upper",
        "must be greater than staffing_standard.lower",
    ),
    (
        "zero step",
        lambda d: d["staffing_standard"].update(lower_step=0),
        "staffing_standard.lower_step",
        "too small",
    ),
    (
        "survey ends before it starts",
        lambda d: d["survey"].update(end="2017-05-01"),
        "survey.end",
        "is before survey.start",
    ),
    (
        "duplicate survey prefecture",
        lambda d: d["survey_units"][1].update(prefecture="210100"),
        "survey_units[1].prefecture",
        "used twice",
    ),
    (
        "empty counties",
        lambda d: d.update(counties=[]),
        "counties",
        "must not be empty",
    ),
]


@pytest.mark.parametrize(
    ("edit", "where", "problem"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_plan(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], where: str, problem: str
) -> None:
    err = _error(tmp_path, _mutated(edit))
    message = str(err)
    assert err.params["where"] == where, message
    assert f"broken-plan.json: {where}: " in message, message
    assert problem in message, message


def test_error_messages_follow_language(tmp_path: Path) -> None:
    err = _error(tmp_path, _mutated(lambda d: d["survey"].update(groups="20")))
    i18n.set_language("zh")
    message = str(err)
    assert "broken-plan.json" in message and "survey.groups" in message
    assert "应为整数,实际为字符串" in message


def test_plan_from_dict_names_source() -> None:
    with pytest.raises(PlanError, match=re.escape("db-copy: indicators[0].kind")):
        plan_from_dict(_mutated(lambda d: d["indicators"][0].update(kind=5)), source="db-copy")


def test_unknown_builtin() -> None:
    with pytest.raises(PlanError, match="no built-in plan"):
        builtin_plan("../etc/passwd")


# --- catalog ------------------------------------------------------------------------------


def test_catalog_languages_have_same_keys() -> None:
    assert plan_catalog.EN.keys() == plan_catalog.ZH.keys()
    assert all(plan_catalog.EN.values()) and all(plan_catalog.ZH.values())


def test_every_key_plan_py_uses_is_in_the_catalog() -> None:
    source = PLAN_SOURCE.read_text(encoding="utf-8")
    used = set(re.findall(r'"(plan\.[a-z_]+)"', source))
    types = {"object", "array", "string", "integer", "number", "boolean", "null", "unknown"}
    types |= set(re.findall(r'"(date(?:_or_null)?)"', source))
    used |= {f"plan.type.{t}" for t in types}
    assert used, "no keys found"
    assert used <= plan_catalog.EN.keys(), used - plan_catalog.EN.keys()


def test_catalog_placeholders_agree() -> None:
    field = re.compile(r"\{(\w+)\}")
    for key, en in plan_catalog.EN.items():
        assert set(field.findall(en)) == set(field.findall(plan_catalog.ZH[key])), key


# --- docs -----------------------------------------------------------------------------------


def test_documented_minimal_plan_is_valid() -> None:
    doc = (PLAN_SOURCE.parents[2] / "docs" / "plan-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", doc, flags=re.DOTALL)
    assert len(blocks) == 1
    example = plan_from_dict(json.loads(blocks[0]), source="plan-format.md")
    assert example.find_counties("suizhong")[0].code == "211421"
    assert example.indicator("digitized_share").threshold == 60.0


def test_every_fault_in_a_county_entry_is_refused(plan: Plan) -> None:
    """Each county check, one fault at a time (this list once also held a bulk check
    of sound county lists to the same checks: it saved ~0.2 ms at 100 counties)."""
    counties = plan.raw["counties"]
    faults: list[Callable[[list[dict[str, Any]]], None]] = [
        lambda c: c[3]["name"].update(zh="绥\x1b中"),
        lambda c: c[3]["name"].update(en="  "),
        lambda c: c[3].update(code=c[2]["code"]),
        lambda c: c[3].update(code="21140١"),
        lambda c: c[3].update(code="2114021"),
        lambda c: c[3].update(kind="town"),
        lambda c: c[3].update(prefecture="2199"),
        lambda c: c[3].update(code="229999"),
        lambda c: c[3].pop("kind"),
        lambda c: c[3].update(extra=1),
        lambda c: c[3]["name"].pop("en"),
        lambda c: c[3].update(code=211402),
    ]
    for fault in faults:
        broken = copy.deepcopy(counties)
        fault(broken)
        data = copy.deepcopy(plan.raw)
        data["counties"] = broken
        with pytest.raises(PlanError, match=r"counties\[3\]"):
            plan_from_dict(data, source="x.json")


def test_a_plan_is_a_frozen_value(plan: Plan) -> None:
    with pytest.raises(AttributeError):
        plan.id = "other"  # type: ignore[misc]
    assert plan.county(plan.counties[0].code) is plan.counties[0]  # a cached lookup
    fields = {name: getattr(plan, name) for name in Plan.FIELDS}
    twin = Plan(**fields, raw={})
    assert twin == plan and hash(twin) == hash(plan)  # raw does not count
    assert Plan(**{**fields, "id": "other"}, raw=plan.raw) != plan
    with pytest.raises(TypeError):
        Plan(**{**fields, "colour": "red"}, raw={})
