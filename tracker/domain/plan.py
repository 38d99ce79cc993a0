"""The plan: what the tracker follows up (prefectures, counties, findings, recommendations,
facts, indicators, the staffing standard), loaded from a JSON file and validated strictly.

A plan is data, not code, so that another report (or a corrected copy of this one) can be
followed up without a release: `tracker init --plan FILE` stores the validated plan inside the
database. Validation is strict because a plan is read once and trusted afterwards: every
fault is reported with the file, the path inside it (``counties[12].code``) and the problem.
The format is documented in docs/plan-format.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from functools import cache, cached_property
from pathlib import Path
from typing import Any, NamedTuple, NoReturn, TypeVar

from tracker.domain.errors import NotFoundError, PlanError
from tracker.i18n import _, get_language

FORMAT_VERSION = 1
BUILTIN_PLANS = ("liaoning-2017",)

T = TypeVar("T")
Day = date  # the type, where a class has a method named ``date`` (_Validator)


class IndicatorKind(StrEnum):
    """What an indicator's (or a fact's) value is."""

    PERCENT = "percent"
    YES_NO = "yes_no"
    AMOUNT = "amount"
    COUNT = "count"
    DATE = "date"


class Comparison(StrEnum):
    """How a value is held against the threshold."""

    AT_LEAST = ">="
    AT_MOST = "<="
    EQUAL = "=="
    AT_LEAST_STANDARD = ">=standard"  # staff >= the staffing standard for the holdings
    SET = "set"  # a date has been recorded at all


class Period(StrEnum):
    """ONCE: met by a fixed deadline. YEARLY: met again every calendar year."""

    ONCE = "once"
    YEARLY = "yearly"


# GB/T 2260 kinds of county-level division, spelled as in the shared counties CSV.
COUNTY_KINDS = (
    "district",
    "county",
    "county-level city",
    "autonomous county",
    "banner",
    "autonomous banner",
    "forestry district",
    "special district",
)

# Which comparisons make sense for which kind (threshold types follow from the pair).
COMPARISONS_BY_KIND: dict[IndicatorKind, tuple[Comparison, ...]] = {
    IndicatorKind.PERCENT: (Comparison.AT_LEAST, Comparison.AT_MOST, Comparison.EQUAL),
    IndicatorKind.AMOUNT: (Comparison.AT_LEAST, Comparison.AT_MOST, Comparison.EQUAL),
    IndicatorKind.COUNT: (
        Comparison.AT_LEAST,
        Comparison.AT_MOST,
        Comparison.EQUAL,
        Comparison.AT_LEAST_STANDARD,
    ),
    IndicatorKind.YES_NO: (Comparison.EQUAL,),
    IndicatorKind.DATE: (Comparison.SET,),
}


# ---------------------------------------------------------------------------------------
# Values


class Text(NamedTuple):
    """A string in both languages; plans are always bilingual so either UI reads them."""

    zh: str
    en: str

    def get(self, lang: str | None = None) -> str:
        """The text in ``lang`` ("zh" or "en"); the current UI language when omitted."""
        lang = get_language() if lang is None else lang
        if lang == "zh":
            return self.zh
        if lang == "en":
            return self.en
        raise ValueError(f"unknown language: {lang!r}")


class Prefecture(NamedTuple):
    code: str
    name: Text


class County(NamedTuple):
    code: str
    name: Text
    kind: str
    prefecture: str


class SurveyUnits(NamedTuple):
    """Units the 2017 survey visited in one prefecture, by kind."""

    prefecture: str
    county_archives: int
    county_organs: int
    township_organs: int
    villages_communities: int

    @property
    def total(self) -> int:
        return (
            self.county_archives
            + self.county_organs
            + self.township_organs
            + self.villages_communities
        )


class Finding(NamedTuple):
    id: str
    area: str
    title: Text
    summary: Text


class FindingArea(NamedTuple):
    id: str
    title: Text
    findings: tuple[Finding, ...]


class Recommendation(NamedTuple):
    id: str
    group: str
    group_title: Text
    title: Text
    summary: Text
    findings: tuple[str, ...]
    deadline: date


class Fact(NamedTuple):
    """A county figure recorded over time (holdings, staff...) that indicators derive from."""

    id: str
    title: Text
    unit: Text
    kind: IndicatorKind


class Indicator(NamedTuple):
    """A measurable target: a county's value compared with ``threshold`` by ``deadline``."""

    id: str
    title: Text
    kind: IndicatorKind
    unit: Text
    recommendation: str
    comparison: Comparison
    threshold: float | bool | None
    deadline: date | None
    period: Period
    derived_from: tuple[str, ...]
    baseline: Text

    def deadline_for(self, as_of: date) -> date:
        """When the target is due as seen on ``as_of``: yearly targets fall due every Dec 31."""
        if self.period == Period.YEARLY:
            return date(as_of.year, 12, 31)
        if self.deadline is None:  # validation forbids this; keeps the type honest
            raise ValueError(f"indicator {self.id} has no deadline")
        return self.deadline


class StaffingStandard(NamedTuple):
    """The 1985 staffing standard for local archives, as the report quotes it.

    The report quotes only the increments above 10,000 volumes, not the base staff for the
    first 10,000, so ``base_staff`` is a plan setting rather than a fact.
    """

    base_staff: int
    lower: int
    lower_step: int
    upper: int
    upper_step: int
    note: Text

    def required(self, holdings: int) -> int:
        """Staff the standard requires for ``holdings`` volumes.

        One person per full ``lower_step`` volumes between ``lower`` and ``upper``, then one
        per full ``upper_step`` above ``upper``; cumulative, so the result never decreases
        as holdings grow.
        """
        if holdings < 0:
            raise ValueError(f"holdings must be >= 0, got {holdings}")
        extra = 0
        if holdings > self.lower:
            extra += (min(holdings, self.upper) - self.lower) // self.lower_step
        if holdings > self.upper:
            extra += (holdings - self.upper) // self.upper_step
        return self.base_staff + extra


class Plan:
    """A validated plan. Build it with ``plan_from_dict``/``load_plan``/``builtin_plan``.

    ``raw`` is the JSON object as loaded (stored in the database so the plan travels with
    the data); treat it as read-only. ``sha256`` identifies its canonical form. Frozen;
    two plans are equal when all their fields but ``raw`` are. The lookup tables below
    are ``cached_property``s: they are stored in the instance's ``__dict__`` directly,
    not through ``__setattr__``. (A plain class and NamedTuples rather than dataclasses:
    ``dataclasses`` imports ``inspect``, and with it every command cost ~10 ms more.)
    """

    FIELDS = ("id", "title", "source", "survey_start", "survey_end", "survey_groups",
              "horizon", "prefectures", "counties", "survey_units", "finding_areas",
              "recommendations", "facts", "indicators", "staffing", "sha256")  # not raw

    id: str
    title: Text
    source: Text
    survey_start: date
    survey_end: date
    survey_groups: int
    horizon: date
    prefectures: tuple[Prefecture, ...]
    counties: tuple[County, ...]
    survey_units: tuple[SurveyUnits, ...]
    finding_areas: tuple[FindingArea, ...]
    recommendations: tuple[Recommendation, ...]
    facts: tuple[Fact, ...]
    indicators: tuple[Indicator, ...]
    staffing: StaffingStandard
    raw: dict[str, Any]
    sha256: str

    def __init__(self, *, raw: dict[str, Any], **fields: Any) -> None:
        if fields.keys() != set(self.FIELDS):
            raise TypeError(f"Plan() takes {', '.join(self.FIELDS)} and raw")
        self.__dict__.update(fields, raw=raw)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Plan is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Plan is frozen: cannot delete {name!r}")

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Plan):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    # Lookup tables, each built when first used (the CLI and screens resolve ids
    # constantly; a one-shot command needs one or two of them).
    @cached_property
    def _findings(self) -> tuple[Finding, ...]:
        return tuple(f for area in self.finding_areas for f in area.findings)

    @cached_property
    def _county(self) -> dict[str, County]:
        return {c.code: c for c in self.counties}

    @cached_property
    def _prefecture(self) -> dict[str, Prefecture]:
        return {p.code: p for p in self.prefectures}

    @cached_property
    def _recommendation(self) -> dict[str, Recommendation]:
        return {r.id: r for r in self.recommendations}

    @cached_property
    def _indicator(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}

    @cached_property
    def _fact(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    @cached_property
    def _finding(self) -> dict[str, Finding]:
        return {f.id: f for f in self._findings}

    @cached_property
    def _by_prefecture(self) -> dict[str, tuple[County, ...]]:
        by_prefecture: dict[str, list[County]] = {p.code: [] for p in self.prefectures}
        for county in self.counties:
            by_prefecture.setdefault(county.prefecture, []).append(county)
        return {k: tuple(v) for k, v in by_prefecture.items()}

    @cached_property
    def _county_names(self) -> dict[str, tuple[County, ...]]:
        names: dict[str, list[County]] = {}
        for county in self.counties:
            for name in {county.name.zh, county.name.en.casefold()}:
                names.setdefault(name, []).append(county)
        return {k: tuple(v) for k, v in names.items()}

    @cached_property
    def _prefecture_keys(self) -> dict[str, Prefecture]:
        keys: dict[str, Prefecture] = {}
        for p in self.prefectures:
            for key in (p.name.en.casefold(), p.name.zh.removesuffix("市"), p.name.zh, p.code):
                keys[key] = p
        return keys

    def __repr__(self) -> str:
        return f"Plan(id={self.id!r}, sha256={self.sha256[:12]!r})"

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding of every area, in plan order."""
        return self._findings

    @staticmethod
    def _lookup(table: Mapping[str, T], key: str, error: str) -> T:
        try:
            return table[key]
        except KeyError:
            raise NotFoundError(error, query=key) from None

    def county(self, code: str) -> County:
        return self._lookup(self._county, code, "plan.unknown_county")

    def prefecture(self, code: str) -> Prefecture:
        return self._lookup(self._prefecture, code, "plan.unknown_prefecture")

    def recommendation(self, id: str) -> Recommendation:
        return self._lookup(self._recommendation, id, "plan.unknown_recommendation")

    def indicator(self, id: str) -> Indicator:
        return self._lookup(self._indicator, id, "plan.unknown_indicator")

    def fact(self, id: str) -> Fact:
        return self._lookup(self._fact, id, "plan.unknown_fact")

    def finding(self, id: str) -> Finding:
        return self._lookup(self._finding, id, "plan.unknown_finding")

    def counties_in(self, prefecture_code: str) -> tuple[County, ...]:
        """The prefecture's counties in plan order (NotFoundError for an unknown code)."""
        return self._lookup(self._by_prefecture, prefecture_code, "plan.unknown_prefecture")

    def find_counties(self, query: str) -> list[County]:
        """Counties matching ``query`` as people type it: a code, a name, or part of a name.

        Exact matches (code, zh name, en name ignoring case) win, so "铁西区" gives the two
        Tiexi districts and not every name containing it; otherwise any county whose zh or
        en name contains the query, ignoring case ("绥中", "suizhong").
        """
        q = query.strip()
        if not q:
            return []
        if q in self._county:
            return [self._county[q]]
        folded = q.casefold()
        exact = self._county_names.get(q) or self._county_names.get(folded)
        if exact:
            return list(exact)
        found = [
            c
            for c in self.counties
            if folded in c.name.zh.casefold() or folded in c.name.en.casefold()
        ]
        if found or not q.isascii():
            return found
        # Pinyin, as colleagues type it: full (suizhong) or initials (szx).
        from tracker.domain.pinyin import matches

        return [c for c in self.counties if matches(q, c.name.zh)]

    def find_prefecture(self, query: str) -> Prefecture:
        """The prefecture named by code, zh name (with or without 市) or en name, any case."""
        q = query.strip()
        found = self._prefecture_keys.get(q) or self._prefecture_keys.get(q.casefold())
        if found is None and q.isascii():
            found = self._prefecture_pinyin(q)
        if found is None:
            raise NotFoundError("plan.unknown_prefecture", query=query)
        return found

    def _prefecture_pinyin(self, query: str) -> Prefecture | None:
        """The prefecture whose name's pinyin, full or initials, with or without 市, is
        ``query`` (huludao, hld, huludaoshi): a whole name, as the other keys are."""
        from tracker.domain.pinyin import pinyin_keys, search_word

        word = search_word("".join(query.split()))
        for p in self.prefectures:
            keys = {*pinyin_keys(p.name.zh).split(),
                    *pinyin_keys(p.name.zh.removesuffix("市")).split()}
            if word in keys:
                return p
        return None


# ---------------------------------------------------------------------------------------
# Loading


def canonical_json(data: Mapping[str, Any]) -> bytes:
    """The byte form the plan's sha256 is taken of: independent of indentation and key order."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file; every failure is a PlanError naming the file."""
    path = Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlanError("plan.file_missing", file=source) from None
    except OSError as exc:
        raise PlanError("plan.unreadable", file=source, reason=exc.strerror or str(exc)) from None
    return plan_from_dict(_parse_json(data, source), source=source)


def builtin_plan(name: str = "liaoning-2017") -> Plan:
    """A plan shipped with tracker (see BUILTIN_PLANS), loaded once per process."""
    if name not in BUILTIN_PLANS:  # also keeps names like "../x" away from the file system
        raise PlanError("plan.unknown_builtin", name=name, known=", ".join(BUILTIN_PLANS))
    return _builtin(name)


@cache  # keyed on the name alone: builtin_plan() and builtin_plan("liaoning-2017") share it
def _builtin(name: str) -> Plan:
    source = f"{name}.json"
    # A file beside this module (importlib.resources would add ~2 ms of imports).
    data = (Path(__file__).parent.parent / "plans" / source).read_bytes()
    return plan_from_dict(_parse_json(data, source), source=source)


def _parse_json(data: bytes, source: str) -> Any:
    try:
        text = data.decode("utf-8-sig")  # tolerate the BOM some Windows editors add
    except UnicodeDecodeError as exc:
        raise PlanError("plan.not_utf8", file=source, position=exc.start) from None

    def reject_constant(name: str) -> NoReturn:  # NaN and Infinity are not JSON
        raise PlanError("plan.json_constant", file=source, value=name)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:  # json would silently keep the last one
                raise PlanError("plan.duplicate_key", file=source, name=key)
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=reject_constant)
    except json.JSONDecodeError as exc:
        raise PlanError(
            "plan.bad_json", file=source, line=exc.lineno, column=exc.colno, reason=exc.msg
        ) from None
    except RecursionError:
        raise PlanError("plan.bad_json", file=source, line=1, column=1, reason="nesting") from None


def plan_from_dict(data: dict[str, Any], *, source: str, sha256: str | None = None) -> Plan:
    """Validate ``data`` (a parsed plan) and build the Plan; ``source`` names it in errors.
    ``sha256``: the digest recorded for it, if any (see ``plan_digest``)."""
    return _Validator(source).plan(data, sha256)


def _loaded_orjson() -> Any:
    """orjson if this process has loaded it already (it parses the large states,
    storage/atomic.py), else None: at a small plan its import (~15 ms) costs more than
    it would save here, at 2,000 counties it saves ~7 ms a command."""
    return sys.modules.get("orjson")


def _copy(data: Any) -> Any:
    """A private copy of JSON data (quicker than deepcopy): by orjson when it is loaded,
    unless the data holds an integer beyond 64 bits, which only the standard encoder takes."""
    fast = _loaded_orjson()
    if fast is not None:
        try:
            return fast.loads(fast.dumps(data))
        except TypeError:
            pass
    return json.loads(json.dumps(data))


def plan_digest(raw: Mapping[str, Any], recorded: str | None = None) -> str:
    """The sha256 of ``canonical_json(raw)``. With the digest recorded for the plan when it
    was stored, and orjson loaded, its sorted encoding is tried first (~10x quicker): it is
    the same text for every plan but those with floats it writes otherwise (1e-5 vs
    1e-05), and if its digest is the recorded one, it was the same text. Else the
    reference encoding (0.3 ms for the built-in plan, 6 ms at 2,000 counties)."""
    fast = _loaded_orjson()
    if recorded is not None and fast is not None:
        try:
            quick = hashlib.sha256(fast.dumps(raw, option=fast.OPT_SORT_KEYS)).hexdigest()
        except TypeError:  # what orjson cannot encode (an integer beyond 64 bits)
            quick = None
        if quick == recorded:
            return quick
    return hashlib.sha256(canonical_json(raw)).hexdigest()


# ---------------------------------------------------------------------------------------
# Validation


class _Term:
    """A catalog key rendered when the message is shown, so it follows the UI language."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    def __format__(self, spec: str) -> str:
        return format(_(self.key), spec)

    def __str__(self) -> str:
        return _(self.key)

    def __repr__(self) -> str:
        return f"_Term({self.key!r})"


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# [0-9], not \d: \d also matches other scripts' digits, which date.fromisoformat rejects.
_CODE = re.compile(r"[0-9]{6}")
_PLAN_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
_NAME_ID = re.compile(r"[a-z][a-z0-9_]*")
_SECTION_ID = re.compile(r"[1-9][0-9]*(?:\.[1-9][0-9]*)*")
_GROUP_ID = re.compile(r"[1-9][0-9]*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_TOP_KEYS = (
    "format",
    "id",
    "title",
    "source",
    "survey",
    "horizon",
    "prefectures",
    "counties",
    "survey_units",
    "finding_areas",
    "recommendations",
    "facts",
    "indicators",
    "staffing_standard",
)
_UNIT_KINDS = ("county_archives", "county_organs", "township_organs", "villages_communities")


def _at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def _within(section: str, parent: str) -> bool:
    """A finding "2.3" lies in area "2"; area 4's single finding is "4" itself."""
    return section == parent or section.startswith(parent + ".")


class _Validator:
    """Checks one plan document; each check raises a PlanError at the first fault."""

    def __init__(self, source: str) -> None:
        self.source = source

    # -- primitives -------------------------------------------------------------------

    def fail(self, key: str, where: str, **params: Any) -> NoReturn:
        raise PlanError(key, file=self.source, where=where, **params)

    def wrong_type(self, value: Any, where: str, expected: str) -> NoReturn:
        self.fail(
            "plan.wrong_type",
            where,
            expected=_Term(f"plan.type.{expected}"),
            found=_Term(f"plan.type.{_json_type(value)}"),
        )

    def obj(self, value: Any, where: str, keys: Sequence[str]) -> dict[str, Any]:
        """An object with exactly ``keys``: extra keys are typos, missing ones are faults."""
        if not isinstance(value, dict):
            self.wrong_type(value, where, "object")
        for key in value:
            if key not in keys:
                allowed = ", ".join(keys)
                self.fail("plan.unknown_key", _at(where, str(key)), allowed=allowed)
        for key in keys:
            if key not in value:
                self.fail("plan.missing_key", _at(where, key))
        return value

    def array(self, value: Any, where: str, *, nonempty: bool = True) -> list[Any]:
        if not isinstance(value, list):
            self.wrong_type(value, where, "array")
        if nonempty and not value:
            self.fail("plan.empty", where)
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            self.wrong_type(value, where, "string")
        if not value.strip():
            self.fail("plan.empty", where)
        if _CONTROL.search(value):
            self.fail("plan.control_chars", where)
        return value

    def integer(self, value: Any, where: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.wrong_type(value, where, "integer")
        if value < minimum:
            self.fail("plan.too_small", where, value=value, minimum=minimum)
        return value

    def number(self, value: Any, where: str, minimum: float, maximum: float | None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.wrong_type(value, where, "number")
        if not math.isfinite(value):
            self.fail("plan.bad_number", where, value=value)
        if value < minimum:
            self.fail("plan.too_small", where, value=value, minimum=minimum)
        if maximum is not None and value > maximum:
            self.fail("plan.too_large", where, value=value, maximum=maximum)
        return float(value)

    def matching(self, value: Any, where: str, pattern: re.Pattern[str], problem: str) -> str:
        if not isinstance(value, str):
            self.wrong_type(value, where, "string")
        if not pattern.fullmatch(value):
            self.fail(problem, where, value=value)
        return value

    def iso_date(self, value: Any, where: str, expected: str = "date") -> date:
        if not isinstance(value, str):
            self.wrong_type(value, where, expected)
        try:
            if not _DATE.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.fail("plan.bad_date", where, value=value)

    def enum(self, value: Any, where: str, allowed: Sequence[str]) -> str:
        if not isinstance(value, str):
            self.wrong_type(value, where, "string")
        if value not in allowed:
            self.fail(
                "plan.bad_enum", where, value=value, allowed=", ".join(f'"{a}"' for a in allowed)
            )
        return value

    def text(self, value: Any, where: str) -> Text:
        fields = self.obj(value, where, ("zh", "en"))
        return Text(
            zh=self.string(fields["zh"], _at(where, "zh")),
            en=self.string(fields["en"], _at(where, "en")),
        )

    def unique(self, seen: dict[str, str], value: str, where: str) -> None:
        if value in seen:
            self.fail("plan.duplicate", where, value=value, first=seen[value])
        seen[value] = where

    def ref(self, value: Any, where: str, known: Mapping[str, Any], target: str) -> str:
        if not isinstance(value, str):
            self.wrong_type(value, where, "string")
        if value not in known:
            self.fail("plan.unknown_ref", where, value=value, target=target)
        return value

    def before_horizon(self, value: Day, where: str, horizon: Day) -> None:
        if value > horizon:
            self.fail(
                "plan.after_horizon", where, value=value.isoformat(), horizon=horizon.isoformat()
            )

    # -- the document -----------------------------------------------------------------

    def plan(self, data: Any, recorded_sha256: str | None = None) -> Plan:
        if not isinstance(data, dict):
            raise PlanError(
                "plan.not_object", file=self.source, found=_Term(f"plan.type.{_json_type(data)}")
            )
        doc = self.obj(data, "", _TOP_KEYS)
        version = doc["format"]
        if isinstance(version, bool) or not isinstance(version, int):
            self.wrong_type(version, "format", "integer")
        if version != FORMAT_VERSION:
            self.fail("plan.bad_format", "format", value=version, supported=FORMAT_VERSION)

        plan_id = self.matching(doc["id"], "id", _PLAN_ID, "plan.bad_plan_id")
        title = self.text(doc["title"], "title")
        source = self.text(doc["source"], "source")
        survey = self.obj(doc["survey"], "survey", ("start", "end", "groups", "people_per_group"))
        start = self.iso_date(survey["start"], "survey.start")
        end = self.iso_date(survey["end"], "survey.end")
        if end < start:
            self.fail(
                "plan.date_order",
                "survey.end",
                value=end.isoformat(),
                other_where="survey.start",
                other=start.isoformat(),
            )
        groups = self.integer(survey["groups"], "survey.groups", minimum=1)
        self.integer(survey["people_per_group"], "survey.people_per_group", minimum=1)
        horizon = self.iso_date(doc["horizon"], "horizon")
        if horizon < end:
            self.fail(
                "plan.date_order",
                "horizon",
                value=horizon.isoformat(),
                other_where="survey.end",
                other=end.isoformat(),
            )

        prefectures = self.prefectures(doc["prefectures"])
        by_code = {p.code: p for p in prefectures}
        counties = self.counties(doc["counties"], by_code)
        survey_units = self.survey_units(doc["survey_units"], by_code)
        areas = self.finding_areas(doc["finding_areas"])
        findings = {f.id: f for area in areas for f in area.findings}
        recommendations = self.recommendations(doc["recommendations"], findings, horizon)
        self.all_answered(areas, recommendations)
        facts = self.facts(doc["facts"])
        indicators = self.indicators(
            doc["indicators"], {r.id: r for r in recommendations}, {f.id: f for f in facts}, horizon
        )
        staffing = self.staffing(doc["staffing_standard"])

        raw = _copy(data)
        return Plan(
            id=plan_id,
            title=title,
            source=source,
            survey_start=start,
            survey_end=end,
            survey_groups=groups,
            horizon=horizon,
            prefectures=prefectures,
            counties=counties,
            survey_units=survey_units,
            finding_areas=areas,
            recommendations=recommendations,
            facts=facts,
            indicators=indicators,
            staffing=staffing,
            raw=raw,
            sha256=plan_digest(raw, recorded_sha256),
        )

    def prefectures(self, value: Any) -> tuple[Prefecture, ...]:
        seen: dict[str, str] = {}
        result = []
        for i, item in enumerate(self.array(value, "prefectures")):
            where = _at("prefectures", i)
            p = self.obj(item, where, ("code", "name"))
            code = self.matching(p["code"], _at(where, "code"), _CODE, "plan.bad_code")
            self.unique(seen, code, _at(where, "code"))
            result.append(Prefecture(code=code, name=self.text(p["name"], _at(where, "name"))))
        return tuple(result)

    def counties(self, value: Any, prefectures: Mapping[str, Prefecture]) -> tuple[County, ...]:
        seen: dict[str, str] = {}
        result = []
        for i, item in enumerate(self.array(value, "counties")):
            where = _at("counties", i)
            c = self.obj(item, where, ("code", "name", "kind", "prefecture"))
            code = self.matching(c["code"], _at(where, "code"), _CODE, "plan.bad_code")
            self.unique(seen, code, _at(where, "code"))
            name = self.text(c["name"], _at(where, "name"))
            kind = self.enum(c["kind"], _at(where, "kind"), COUNTY_KINDS)
            pref_where = _at(where, "prefecture")
            pref = self.ref(c["prefecture"], pref_where, prefectures, "prefectures[].code")
            if code[:4] != pref[:4]:  # GB/T 2260: a county's code starts with its city's
                self.fail("plan.county_outside", _at(where, "code"), value=code, prefecture=pref)
            result.append(County(code=code, name=name, kind=kind, prefecture=pref))
        return tuple(result)

    def survey_units(
        self, value: Any, prefectures: Mapping[str, Prefecture]
    ) -> tuple[SurveyUnits, ...]:
        seen: dict[str, str] = {}
        result = []
        for i, item in enumerate(self.array(value, "survey_units", nonempty=False)):
            where = _at("survey_units", i)
            u = self.obj(item, where, ("prefecture", *_UNIT_KINDS))
            pref_where = _at(where, "prefecture")
            pref = self.ref(u["prefecture"], pref_where, prefectures, "prefectures[].code")
            self.unique(seen, pref, pref_where)
            counts = {k: self.integer(u[k], _at(where, k)) for k in _UNIT_KINDS}
            result.append(SurveyUnits(prefecture=pref, **counts))
        return tuple(result)

    def finding_areas(self, value: Any) -> tuple[FindingArea, ...]:
        area_ids: dict[str, str] = {}
        finding_ids: dict[str, str] = {}
        result = []
        for i, item in enumerate(self.array(value, "finding_areas")):
            where = _at("finding_areas", i)
            a = self.obj(item, where, ("id", "title", "findings"))
            area_id = self.matching(a["id"], _at(where, "id"), _GROUP_ID, "plan.bad_section_id")
            self.unique(area_ids, area_id, _at(where, "id"))
            area_title = self.text(a["title"], _at(where, "title"))
            findings = []
            for j, f_item in enumerate(self.array(a["findings"], _at(where, "findings"))):
                f_where = _at(_at(where, "findings"), j)
                f = self.obj(f_item, f_where, ("id", "title", "summary"))
                id_where = _at(f_where, "id")
                fid = self.matching(f["id"], id_where, _SECTION_ID, "plan.bad_section_id")
                if not _within(fid, area_id):
                    self.fail("plan.outside_parent", id_where, value=fid, parent=area_id)
                self.unique(finding_ids, fid, id_where)
                findings.append(
                    Finding(
                        id=fid,
                        area=area_id,
                        title=self.text(f["title"], _at(f_where, "title")),
                        summary=self.text(f["summary"], _at(f_where, "summary")),
                    )
                )
            result.append(FindingArea(id=area_id, title=area_title, findings=tuple(findings)))
        return tuple(result)

    def recommendations(
        self, value: Any, findings: Mapping[str, Finding], horizon: Day
    ) -> tuple[Recommendation, ...]:
        seen: dict[str, str] = {}
        group_titles: dict[str, tuple[Text, str]] = {}
        result = []
        keys = ("id", "group", "group_title", "title", "summary", "findings", "deadline")
        for i, item in enumerate(self.array(value, "recommendations")):
            where = _at("recommendations", i)
            r = self.obj(item, where, keys)
            id_where = _at(where, "id")
            rid = self.matching(r["id"], id_where, _SECTION_ID, "plan.bad_section_id")
            self.unique(seen, rid, id_where)
            group = self.matching(r["group"], _at(where, "group"), _GROUP_ID, "plan.bad_section_id")
            if not _within(rid, group):
                self.fail("plan.outside_parent", id_where, value=rid, parent=group)
            group_title = self.text(r["group_title"], _at(where, "group_title"))
            first = group_titles.setdefault(group, (group_title, _at(where, "group_title")))
            if first[0] != group_title:  # one group, one title: screens show it once
                self.fail(
                    "plan.group_title", _at(where, "group_title"), group=group, first=first[1]
                )
            answered: dict[str, str] = {}
            for j, fid in enumerate(self.array(r["findings"], _at(where, "findings"))):
                f_where = _at(_at(where, "findings"), j)
                self.ref(fid, f_where, findings, "finding_areas[].findings[].id")
                self.unique(answered, fid, f_where)
            deadline = self.iso_date(r["deadline"], _at(where, "deadline"))
            self.before_horizon(deadline, _at(where, "deadline"), horizon)
            result.append(
                Recommendation(
                    id=rid,
                    group=group,
                    group_title=group_title,
                    title=self.text(r["title"], _at(where, "title")),
                    summary=self.text(r["summary"], _at(where, "summary")),
                    findings=tuple(answered),
                    deadline=deadline,
                )
            )
        return tuple(result)

    def all_answered(
        self, areas: Sequence[FindingArea], recommendations: Sequence[Recommendation]
    ) -> None:
        """A finding no recommendation answers would never be followed up: refuse the plan."""
        answered = {fid for r in recommendations for fid in r.findings}
        for i, area in enumerate(areas):
            for j, finding in enumerate(area.findings):
                if finding.id not in answered:
                    where = f"finding_areas[{i}].findings[{j}].id"
                    self.fail("plan.unanswered", where, value=finding.id)

    def facts(self, value: Any) -> tuple[Fact, ...]:
        seen: dict[str, str] = {}
        result = []
        for i, item in enumerate(self.array(value, "facts", nonempty=False)):
            where = _at("facts", i)
            f = self.obj(item, where, ("id", "title", "unit", "kind"))
            fid = self.matching(f["id"], _at(where, "id"), _NAME_ID, "plan.bad_name_id")
            self.unique(seen, fid, _at(where, "id"))
            result.append(
                Fact(
                    id=fid,
                    title=self.text(f["title"], _at(where, "title")),
                    unit=self.text(f["unit"], _at(where, "unit")),
                    kind=IndicatorKind(
                        self.enum(f["kind"], _at(where, "kind"), list(IndicatorKind))
                    ),
                )
            )
        return tuple(result)

    def indicators(
        self,
        value: Any,
        recommendations: Mapping[str, Recommendation],
        facts: Mapping[str, Fact],
        horizon: Day,
    ) -> tuple[Indicator, ...]:
        seen: dict[str, str] = {}
        result = []
        keys = (
            "id",
            "title",
            "kind",
            "unit",
            "recommendation",
            "comparison",
            "threshold",
            "deadline",
            "period",
            "derived_from",
            "baseline",
        )
        for i, item in enumerate(self.array(value, "indicators", nonempty=False)):
            where = _at("indicators", i)
            d = self.obj(item, where, keys)
            iid = self.matching(d["id"], _at(where, "id"), _NAME_ID, "plan.bad_name_id")
            self.unique(seen, iid, _at(where, "id"))
            kind = IndicatorKind(self.enum(d["kind"], _at(where, "kind"), list(IndicatorKind)))
            rec = self.ref(
                d["recommendation"],
                _at(where, "recommendation"),
                recommendations,
                "recommendations[].id",
            )
            comparison = Comparison(
                self.enum(d["comparison"], _at(where, "comparison"), COMPARISONS_BY_KIND[kind])
            )
            threshold = self.threshold(d["threshold"], _at(where, "threshold"), kind, comparison)
            period = Period(self.enum(d["period"], _at(where, "period"), list(Period)))
            deadline_where = _at(where, "deadline")
            deadline: date | None = None
            if d["deadline"] is not None:
                deadline = self.iso_date(d["deadline"], deadline_where, "date_or_null")
                self.before_horizon(deadline, deadline_where, horizon)
            if period == Period.ONCE and deadline is None:
                self.fail("plan.needs_deadline", deadline_where)
            if period == Period.YEARLY and deadline is not None:
                self.fail("plan.yearly_deadline", deadline_where)
            derived = self.derived(
                d["derived_from"], _at(where, "derived_from"), facts, comparison, kind
            )
            result.append(
                Indicator(
                    id=iid,
                    title=self.text(d["title"], _at(where, "title")),
                    kind=kind,
                    unit=self.text(d["unit"], _at(where, "unit")),
                    recommendation=rec,
                    comparison=comparison,
                    threshold=threshold,
                    deadline=deadline,
                    period=period,
                    derived_from=derived,
                    baseline=self.text(d["baseline"], _at(where, "baseline")),
                )
            )
        return tuple(result)

    def threshold(
        self, value: Any, where: str, kind: IndicatorKind, comparison: Comparison
    ) -> float | bool | None:
        """The threshold's type follows from kind and comparison (see COMPARISONS_BY_KIND)."""
        if comparison in (Comparison.SET, Comparison.AT_LEAST_STANDARD):
            if value is not None:
                self.wrong_type(value, where, "null")
            return None
        if kind == IndicatorKind.YES_NO:
            if not isinstance(value, bool):
                self.wrong_type(value, where, "boolean")
            return value
        maximum = 100.0 if kind == IndicatorKind.PERCENT else None
        return self.number(value, where, 0, maximum)

    def derived(
        self,
        value: Any,
        where: str,
        facts: Mapping[str, Fact],
        comparison: Comparison,
        kind: IndicatorKind,
    ) -> tuple[str, ...]:
        """Which facts the value is computed from; the count is fixed by what is computed.

        A percent is numerator/denominator (or entered directly: no facts); the staffing
        comparison is [staff, holdings]; every other kind is entered directly.
        """
        ids = self.array(value, where, nonempty=False)
        if comparison == Comparison.AT_LEAST_STANDARD:
            allowed: tuple[int, ...] = (2,)
        elif kind == IndicatorKind.PERCENT:
            allowed = (0, 2)
        else:
            allowed = (0,)
        if len(ids) not in allowed:
            self.fail(
                "plan.derived_count",
                where,
                allowed=" / ".join(map(str, allowed)),
                found=len(ids),
            )
        seen: dict[str, str] = {}
        for j, fid in enumerate(ids):
            f_where = _at(where, j)
            self.ref(fid, f_where, facts, "facts[].id")
            self.unique(seen, fid, f_where)
            if facts[fid].kind not in (IndicatorKind.COUNT, IndicatorKind.AMOUNT):
                self.fail("plan.derived_kind", f_where, value=fid, kind=str(facts[fid].kind))
        return tuple(seen)

    def staffing(self, value: Any) -> StaffingStandard:
        where = "staffing_standard"
        keys = ("base_staff", "lower", "lower_step", "upper", "upper_step", "note")
        s = self.obj(value, where, keys)
        lower = self.integer(s["lower"], _at(where, "lower"))
        upper = self.integer(s["upper"], _at(where, "upper"))
        if upper <= lower:
            self.fail(
                "plan.not_greater",
                _at(where, "upper"),
                value=upper,
                other_where=_at(where, "lower"),
                other=lower,
            )
        return StaffingStandard(
            base_staff=self.integer(s["base_staff"], _at(where, "base_staff")),
            lower=lower,
            lower_step=self.integer(s["lower_step"], _at(where, "lower_step"), minimum=1),
            upper=upper,
            upper_step=self.integer(s["upper_step"], _at(where, "upper_step"), minimum=1),
            note=self.text(s["note"], _at(where, "note")),
        )
