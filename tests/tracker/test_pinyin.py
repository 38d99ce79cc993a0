"""Pinyin in filters (szx finds 绥中县) and in the order of Chinese names."""

from __future__ import annotations

from tracker.domain.pinyin import name_order, pinyin_keys
from tracker.domain.plan import builtin_plan


def test_full_pinyin_and_initials_find_suizhong() -> None:
    plan = builtin_plan()
    for query in ("szx", "suizhong", "SuiZhong", "suizhongxian"):
        assert [c.name.zh for c in plan.find_counties(query)] == ["绥中县"], query
    assert plan.find_prefecture("hld").name.zh == "葫芦岛市"
    assert plan.find_prefecture("huludao").name.zh == "葫芦岛市"


def test_place_readings_and_pinyin_order() -> None:
    assert pinyin_keys("长海县").split()[0] == "changhaixian"
    assert pinyin_keys("朝阳县").split()[0] == "chaoyangxian"
    names = ["中山区", "义县", "东洲区", "东港市"]  # code point order
    assert sorted(names, key=name_order) == ["东港市", "东洲区", "义县", "中山区"]
    plan = builtin_plan()
    assert all(pinyin_keys(c.name.zh) for c in plan.counties)
