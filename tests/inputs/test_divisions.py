"""The real division list: Tongling's 363 administrative villages (NBS 统计用区划代码 2023, see data/README.md)."""

from __future__ import annotations

from hemei_tools.inputs.divisions import load_villages, short_name


def test_tongling_has_363_administrative_villages_in_four_units():
    v = load_villages("3407")
    assert len(v) == 363
    assert v.groupby("county_code").size().to_dict() == {"340705": 12, "340706": 99, "340711": 62, "340722": 190}
    assert v["village_code"].str.fullmatch(r"\d{12}").all()
    assert (v["village_code"].str[:9] == v["township_code"]).all()
    assert (v["village_code"].str[:6] == v["county_code"]).all()
    # 220 central villages are 60.6% of the administrative villages (city press release 2023)
    assert round(220 / len(v) * 100, 1) == 60.6


def test_anhui_has_13583_administrative_villages_in_16_cities():
    v = load_villages(None)
    assert len(v) == 13583
    assert v["city_code"].nunique() == 16
    assert v["village_code"].is_unique


def test_short_name_drops_the_committee_suffix():
    assert short_name("横山村委会") == "横山村"
    assert short_name("横山村民委员会") == "横山村"
    assert short_name("横山村") == "横山村"
