"""Charts (site_builder/render/charts.py): exact figures, blank ≠ 0, escaping, valid SVG, contrast.

Expected figures and shares are worked out here independently (by hand or with Fraction), never
taken from the code under test.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from site_builder.render import charts, pages
from site_builder.render.charts import Chart, composition, year_series

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parent.parent
D = Decimal


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))


def bars(chart: Chart) -> list[ET.Element]:
    return [e for e in parse(chart).iter(SVG + "rect") if "chart-bar" in e.get("class", "").split()]


def blank_marks(chart: Chart) -> list[ET.Element]:
    return [e for e in parse(chart).iter(SVG + "g") if e.get("class") == "chart-blank"]


def texts(chart: Chart) -> list[str]:
    return ["".join(e.itertext()) for e in parse(chart).iter(SVG + "text")]


def axis_x(chart: Chart) -> float:
    line = next(e for e in parse(chart).iter(SVG + "line") if e.get("class") == "chart-axis")
    return float(line.get("x1", "nan"))


SERIES = [(2021, D("1200.50")), (2022, None), (2023, D("1510.00")), (2024, D("1380.25"))]


# -- determinism --------------------------------------------------------------------------------
def test_same_input_gives_the_same_bytes() -> None:
    first = year_series("支出合计", "万元", list(SERIES), chart_id="spending")
    second = year_series("支出合计", "万元", [(y, None if v is None else D(str(v))) for y, v in reversed(SERIES)],
                         chart_id="spending")
    assert str(first.svg).encode() == str(second.svg).encode()
    assert first.summary == second.summary
    parts = [("甲", D("1.00")), ("乙", None)]
    assert str(composition("构成", "元", parts, D("3.00"), total_label="合计", name_heading="名称").svg) == \
        str(composition("构成", "元", list(parts), D("3.00"), total_label="合计", name_heading="名称").svg)


def test_no_random_ids_or_timestamps() -> None:
    svg = str(year_series("支出合计", "万元", SERIES, chart_id="spending").svg)
    assert set(re.findall(r'id="([^"]+)"', svg)) == {"spending-title", "spending-desc", "spending-neg"}
    assert not re.search(r"20\d\d-\d\d-\d\d|[0-9a-f]{8}-[0-9a-f]{4}-", svg)


def test_without_an_id_the_id_depends_on_the_content_only() -> None:
    a = year_series("x", "元", [(2020, D("1"))])
    assert a.id == year_series("x", "元", [(2020, D("1"))]).id
    assert a.id != year_series("x", "元", [(2020, D("2"))]).id
    assert re.fullmatch(r"chart-[0-9a-f]{10}", a.id)


# -- blank is not zero --------------------------------------------------------------------------
def test_a_blank_year_is_a_gap_marked_blank_not_a_zero_bar() -> None:
    blank = year_series("支出合计", "万元", SERIES, chart_id="s")
    zero = year_series("支出合计", "万元", [(y, D("0") if v is None else v) for y, v in SERIES], chart_id="s")
    assert len(bars(blank)) == 3 and len(bars(zero)) == 4
    assert len(blank_marks(blank)) == 1 and blank_marks(zero) == []
    assert "".join(blank_marks(blank)[0].itertext()) == "空白"
    assert "2022 年空白" in blank.summary and "不按 0 计" in blank.summary
    assert "空白" not in zero.summary
    row_2022 = next(r for r in blank.rows if r.label == "2022年")
    assert row_2022.value is None and row_2022.value_text == "空白"
    assert next(r for r in zero.rows if r.label == "2022年").value_text == "0"


def test_change_is_from_the_first_to_the_last_known_year() -> None:
    chart = year_series("支出合计", "万元", SERIES)
    # by hand: 1380.25 − 1200.50 = 179.75; 179.75 / 1200.50 = 0.149729… → 14.97 %
    assert "2021–2024 年由 1,200.50 万元增至 1,380.25 万元（增加 179.75 万元，增长 14.97%）" in chart.summary
    assert "2023 年最高（1,510.00 万元）" in chart.summary


def test_a_fall_and_no_change() -> None:
    fall = year_series("三公", "元", [(2023, D("80000.00")), (2024, D("60000.00"))])
    assert "由 80,000.00 元降至 60,000.00 元（减少 20,000.00 元，下降 25.00%）" in fall.summary
    same = year_series("三公", "元", [(2023, D("5.00")), (2024, D("5.00"))])
    assert "持平，均为 5.00 元" in same.summary


def test_negative_values_draw_leftwards_and_hatched() -> None:
    chart = year_series("结余", "万元", [(2022, D("100.00")), (2023, D("-50.00")), (2024, D("25.00"))], chart_id="n")
    drawn = bars(chart)
    zero = axis_x(chart)
    negative = [b for b in drawn if "chart-bar-negative" in b.get("class", "")]
    assert len(negative) == 1
    assert negative[0].get("fill") == "url(#n-neg)"
    assert float(negative[0].get("x", "0")) + float(negative[0].get("width", "0")) == pytest.approx(zero, abs=0.1)
    positive = [b for b in drawn if b not in negative]
    assert all(float(b.get("x", "0")) == pytest.approx(zero, abs=0.1) for b in positive)
    # bar lengths are proportional to the figures: 100 : 50 : 25
    widths = [float(b.get("width", "0")) for b in drawn]
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.2) and widths[1] == pytest.approx(2 * widths[2], abs=0.2)
    assert "-50.00" in texts(chart)
    assert "由 100.00 万元降至 25.00 万元" in chart.summary


def test_a_rate_against_a_negative_base_is_not_stated() -> None:
    chart = year_series("结余", "万元", [(2023, D("-10.00")), (2024, D("10.00"))])
    assert "增加 20.00 万元" in chart.summary and "%" not in chart.summary


def test_single_point() -> None:
    chart = year_series("支出合计", "元", [(2024, D("12984142.90"))])
    assert chart.summary == "支出合计：2024 年为 12,984,142.90 元。"
    assert len(bars(chart)) == 1 and "12,984,142.90" in texts(chart)


def test_all_blank() -> None:
    chart = year_series("支出合计", "元", [(2022, None), (2023, None)])
    assert bars(chart) == [] and len(blank_marks(chart)) == 2
    assert chart.summary == "支出合计：2022–2023 年均为空白，没有可以比较的数字。"
    assert [r.value_text for r in chart.rows] == ["空白", "空白"]


def test_no_points_at_all() -> None:
    chart = year_series("支出合计", "元", [])
    assert chart.rows == () and chart.summary == "支出合计：没有数字。"
    parse(chart)


# -- composition --------------------------------------------------------------------------------
def half_up_percent(part: Fraction, total: Fraction) -> str:
    """part/total in per cent to 2 places, halves away from zero: worked out with exact fractions."""
    scaled = abs(part / total) * 10000
    whole = int(scaled + Fraction(1, 2))
    sign = "-" if part / total < 0 else ""
    return f"{sign}{whole // 100}.{whole % 100:02d}"


def test_shares_are_exact_and_round_half_up() -> None:
    parts = [("甲", D("1")), ("乙", D("799")), ("丙", None)]
    chart = composition("构成", "元", parts, D("800"), total_label="合计", name_heading="名称")
    # 1/800 = 0.125 % exactly: half-up gives 0.13 (banker's rounding would give 0.12)
    assert [r.share_text for r in chart.rows] == ["0.13", "99.88", "", "100.00"]
    assert chart.rows[2].value is None and chart.rows[2].value_text == "空白"
    assert chart.rows[-1].label == "合计"
    assert "丙空白" in chart.summary
    assert "ROUND_HALF_UP" in chart.note


def test_shares_of_the_jincheng_sample_from_its_yaml() -> None:
    path = ROOT / "content/jincheng-social-insurance-center/2023/tables/expenditure.yaml"
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["rows"]
    classes = {code: str(row["total"]) for code, row in rows.items() if len(code) == 3}
    total = str(rows["total"]["total"])
    parts = [(code, Decimal(value)) for code, value in classes.items()]
    chart = composition("构成", "万元", parts, Decimal(total), total_label="合计", name_heading="名称")
    for row in chart.rows[:-1]:
        assert row.share_text == half_up_percent(Fraction(classes[row.label]), Fraction(total))
    # by hand: 13696.72 / 13804.91 = 0.992163… → 99.22 %
    assert chart.rows[0].share_text == "99.22"
    assert "合计 13,804.91 万元" in chart.summary and "208最多（13,696.72 万元，占 99.22%）" in chart.summary


def test_blank_or_zero_total_gives_no_shares() -> None:
    blank_total = composition("构成", "元", [("甲", D("1.00"))], None, total_label="合计", name_heading="名称")
    assert [r.share for r in blank_total.rows] == [None, None]
    assert "合计空白，不计算占比" in blank_total.summary
    zero_total = composition("构成", "元", [("甲", D("0.00"))], D("0.00"), total_label="合计", name_heading="名称")
    assert [r.share for r in zero_total.rows] == [None, None]


def test_every_bar_is_labelled_with_its_value() -> None:
    parts = [("社会保障和就业支出", D("13696.72")), ("卫生健康支出", D("40.67")), ("住房保障支出", D("67.52"))]
    chart = composition("构成", "万元", parts, D("13804.91"), total_label="合计", name_heading="名称")
    labels = texts(chart)
    assert len(bars(chart)) == 3
    for value in ("13,696.72（99.22%）", "40.67（0.29%）", "67.52（0.49%）"):
        assert value in labels


def test_a_long_name_wraps_instead_of_overflowing() -> None:
    name = "一般公共服务支出" * 5
    chart = composition("构成", "元", [(name, D("1.00"))], D("1.00"), total_label="合计", name_heading="名称")
    spans = [e.text or "" for e in parse(chart).iter(SVG + "tspan")]
    assert "".join(spans) == name and len(spans) > 1
    width = float(parse(chart).get("width", "0"))
    assert all(float(t.get("x", "0")) <= width for t in parse(chart).iter(SVG + "tspan"))


# -- escaping -----------------------------------------------------------------------------------
HOSTILE = '<script>alert("x")</script> & "q" \'s'


def test_hostile_names_are_escaped_in_the_svg() -> None:
    chart = composition(HOSTILE, "元<b>", [(HOSTILE, D("1.00")), ("b", None)], D("2.00"),
                        total_label="合计", name_heading="名称", chart_id='x" onload="alert(1)')
    svg = str(chart.svg)
    assert "<script" not in svg and "<b>" not in svg and 'onload="' not in svg
    root = ET.fromstring(svg)  # well-formed
    assert root.find(SVG + "title").text == HOSTILE  # type: ignore[union-attr]
    assert HOSTILE in "".join(root.find(SVG + "desc").itertext())  # type: ignore[union-attr]
    assert HOSTILE in ["".join(e.itertext()) for e in root.iter(SVG + "text")]
    assert re.fullmatch(r"[a-z0-9-]+", chart.id)


def render_macro(chart: Chart, csv_url: str | None = None) -> str:
    env = pages.environment([pages.PACKAGE_THEME])
    template = env.from_string('{% from "_chart.html" import chart_figure %}{{ chart_figure(chart, csv_url=csv_url) }}')
    return template.render(chart=chart, csv_url=csv_url)


def test_the_figure_macro_escapes_every_text() -> None:
    chart = composition(HOSTILE, "元", [(HOSTILE, D("1.00"))], D("1.00"), total_label="合<i>计", name_heading='名"称')
    html = render_macro(chart, csv_url='a.csv"><script>')
    assert "<script" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(" in html and "&amp;" in html


def test_the_figure_macro_has_a_real_table() -> None:
    chart = year_series("支出合计", "万元", SERIES, chart_id="s")
    html = render_macro(chart, csv_url="spending.csv")
    assert '<figure class="chart" id="s" aria-labelledby="s-caption"' in html
    assert '<figcaption id="s-caption">' in html
    assert '<caption id="s-table-caption">' in html
    assert html.count('<th scope="col">') == 2 and html.count('<th scope="row">') == 4
    assert '<td class="amount blank">空白</td>' in html
    assert '<a href="spending.csv" download>' in html
    assert f'<p class="chart-summary" id="s-summary">{chart.summary}</p>' in html
    assert "<a href" not in render_macro(chart)


# -- valid SVG, accessible name -----------------------------------------------------------------
def test_svg_is_valid_and_named_by_its_title_and_desc() -> None:
    chart = year_series("支出合计", "万元", SERIES, chart_id="s")
    root = parse(chart)
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    ids = {e.get("id"): e for e in root.iter() if e.get("id")}
    labelled_by = root.get("aria-labelledby", "").split()
    assert [ids[i].tag for i in labelled_by] == [SVG + "title", SVG + "desc"]
    assert ids["s-desc"].text == chart.summary
    assert root.get("viewBox", "").startswith("0 0 ")


# -- contrast -----------------------------------------------------------------------------------
def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of #rrggbb."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_wcag_formula_on_known_pairs() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_every_colour_pair_passes_contrast() -> None:
    for name, (foreground, background) in charts.COLOUR_PAIRS.items():
        needed = 4.5 if name in ("text", "muted") else 3.0
        assert contrast(foreground, background) >= needed, name


def test_the_svg_uses_only_checked_colours() -> None:
    chart = composition("构成", "万元", [("甲", D("2.00")), ("乙", D("-1.00")), ("丙", None)], D("1.00"),
                        total_label="合计", name_heading="名称")
    used = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', str(chart.svg)))
    checked = {colour for pair in charts.COLOUR_PAIRS.values() for colour in pair}
    assert used and used <= checked


# -- series from reports in different units -----------------------------------------------------
def test_in_unit_converts_exactly_and_keeps_blank() -> None:
    assert charts.in_unit(D("1380.25"), "万元", "元") == D("13802500")
    assert charts.in_unit(D("12984142.90"), "元", "万元") == D("1298.41429")
    assert charts.in_unit(None, "万元", "元") is None
    assert charts.in_unit(D("5.00"), "元", "元") == D("5.00")


def test_a_long_series_of_large_figures_keeps_labels_inside_the_chart() -> None:
    points = [(2015 + i, D("12984142.90") * (i - 3)) for i in range(10)]
    chart = year_series("支出合计", "元", list(reversed(points)), chart_id="long")
    root = parse(chart)
    width = float(root.get("width", "0"))
    assert [r.label for r in chart.rows] == [f"{2015 + i}年" for i in range(10)]
    assert len(bars(chart)) == 10
    for bar in bars(chart):
        assert 0 <= float(bar.get("x", "0")) and float(bar.get("x", "0")) + float(bar.get("width", "0")) <= width
    # the value labels stay inside the drawing
    value_texts = [e for e in root.iter(SVG + "text") if e.get("x") and e.get("text-anchor") == "end"]
    assert value_texts and all(float(e.get("x", "0")) <= width for e in value_texts)
    assert "-38,952,428.70" in texts(chart)
