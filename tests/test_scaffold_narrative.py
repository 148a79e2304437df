"""The 情况说明 skeletons of the template variants: scaffolded into explanation.md, they check clean
on consistent tables and render every figure filled in, agreeing with its table cell.

The tables are the mini fixture's (tests/fixtures/mini). Its 2024 report (ningxia-2024, 元) takes
its previous-year figures from the 2023 report of the same unit; the 2023 report (shanxi-2023,
万元) declares its 2022 figures in report.yaml. Expected sentences are worked out by hand below.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from site_builder import scaffold, standards
from site_builder.build import build
from tests.conftest import REPORT_2023, REPORT_2024, MiniContent

PREVIOUS_2022 = """previous_year:
  source: 2022年度部门决算公开（示例）
  figures:
    收入支出决算总表/收入/总计: 200.00
    财政拨款收入支出决算总表/收入/总计: 250.00
    一般公共预算财政拨款支出决算表/合计/小计: 200.00
    财政拨款“三公”经费支出决算表/决算数/合计: 16.00
    部门决算公开相关信息统计表/机关运行经费/参照公务员法管理事业单位: 40.00
"""
# 2024 三公: the mini fixture leaves the columns without spending blank; a clerk writes 0.00 (blank is not zero)
THREE_PUBLIC_2024 = """rows:
  budget: {total: 6000.00, abroad: 0.00, vehicles: 0.00, vehicle_purchase: 0.00, vehicle_operation: 0.00, reception: 6000.00}
  final: {total: 5000.00, abroad: 0.00, vehicles: 0.00, vehicle_purchase: 0.00, vehicle_operation: 0.00, reception: 5000.00}
"""


def skeleton(template_id: str, year: int) -> str:
    return scaffold.explanation_skeleton(standards.templates()[template_id], year)


def narrate(root: Path) -> None:
    """Give the mini reports under ``root`` the scaffolded skeletons as their 情况说明, with the clerk's
    words written over the （请填写…） placeholders (a placeholder left in is a finding)."""
    for report, template_id, year in ((REPORT_2023, "shanxi-2023", 2023), (REPORT_2024, "ningxia-2024", 2024)):
        filled = scaffold.PLACEHOLDER.sub("按实际情况说明", skeleton(template_id, year))
        (root / report / "explanation.md").write_text(filled, encoding="utf-8")
    report = root / REPORT_2023 / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8") + PREVIOUS_2022, encoding="utf-8")
    (root / REPORT_2024 / "tables" / "three_public.yaml").write_text(THREE_PUBLIC_2024, encoding="utf-8")


@pytest.fixture
def narrated(mini: MiniContent) -> MiniContent:
    narrate(mini.root)
    return mini


def page_text(html: str, section: str) -> str:
    part = html.split(f'id="part-{section}"', 1)[1].split("</section>", 1)[0]
    return unescape(re.sub(r"<[^>]+>", "", part))


def built(mini: MiniContent, out: Path) -> dict[str, str]:
    build(mini.root, out)
    return {rel: (out / "units" / rel / "index.html").read_text(encoding="utf-8") for rel in (REPORT_2023, REPORT_2024)}


def test_skeleton_is_the_template_outline_with_references() -> None:
    text = skeleton("ningxia-2024", 2024)
    assert "{year}" not in text and "{previous}" not in text
    assert text.startswith("## 一、收入支出决算总体情况说明\n\n2024年度收入总计{{收入支出决算总表/收入/总计}}")
    assert "## 七、财政拨款“三公”经费支出决算情况说明" in text  # 宁夏 2024 puts 三公 seventh
    assert "## 九、财政拨款“三公”经费支出决算情况说明" in skeleton("shanxi-2023", 2023)  # 山西 2023 ninth
    assert "（请填写原因）" in text and "与2023年度相比" in text


@pytest.mark.parametrize("template_id", sorted(standards.templates()))
def test_new_writes_the_skeleton_and_every_name_resolves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          template_id: str) -> None:
    monkeypatch.chdir(tmp_path)
    content = tmp_path / "content"
    content.mkdir()
    (content / "site.yaml").write_text("title: 测试\n", encoding="utf-8")
    scaffold.scaffold(content, "demo", 2025, template_id)
    explanation = (content / "demo" / "2025" / "explanation.md").read_text(encoding="utf-8")
    assert explanation == skeleton(template_id, 2025)
    from site_builder.check import check
    findings = [f for f in check(Path("content")).findings if f.table == "explanation.md" and f.severity != "info"]
    # every table of a new report is still empty: each reference is blank, none is unknown or unreadable;
    # the （请填写…） placeholders are findings of their own (tests/test_partial.py)
    assert findings and {f.rule for f in findings} <= {"narrative.ref-blank", "narrative.ref-previous", "content.placeholder"}


def test_skeleton_on_consistent_tables_checks_clean(narrated: MiniContent) -> None:
    assert [f.line() for f in narrated.check()] == []


def test_skeleton_renders_every_figure_agreeing_with_its_cell(narrated: MiniContent, tmp_path: Path) -> None:
    pages = built(narrated, tmp_path / "out")
    for html in pages.values():
        explanation = html.split('id="part-explanation"', 1)[1].split("</section>", 1)[0]
        assert "{{" not in explanation and "ref-error" not in explanation
        links = re.findall(r'<a class="figure" href="#([^"]+)" data-ref="[^"]+">([^<]+)</a>', explanation)
        assert len(links) >= 20
        for anchor, text in links:
            cell = re.search(rf'<td id="{re.escape(anchor)}"[^>]*>([^<]*)<', html)
            assert cell is not None, anchor
            assert cell.group(1) == text
    text_2023 = page_text(pages[REPORT_2023], "explanation")
    # 233.00 vs 200.00: +33.00, 33/200 = 16.50 %; 223.00 vs 250.00: −27.00, 27/250 = 10.80 %
    assert "2023年度收入总计233.00万元，支出总计233.00万元。与2022年度相比，收入支出总计增加33.00万元，增长16.50%。" in text_2023
    assert "财政拨款收入支出总计减少27.00万元，下降10.80%。" in text_2023
    # 176 / 221 = 79.64 %, 45 / 221 = 20.36 %
    assert "基本支出176.00万元，占79.64%；项目支出45.00万元，占20.36%" in text_2023
    # 三公 20.00 of 25.00 = 80.00 %, 小于; vs 16.00: +4.00, 25.00 %
    assert "完成预算的80.00%。决算数小于预算数" in text_2023 and "增加4.00万元，增长25.00%" in text_2023
    assert "与2022年度相比，持平0.00万元，持平0.00%" in text_2023  # 200.00 vs 200.00
    assert "本单位共有车辆2辆" in text_2023
    text_2024 = page_text(pages[REPORT_2024], "explanation")
    # 2024 (元) vs the portal's 2023 report: 2,330,000.00 − 210,000.75 = 2,119,999.25; / 2,330,000 = 90.99 %
    assert "2024年度收入总计210,000.75元" in text_2024
    assert "收入支出总计减少2,119,999.25元，下降90.99%" in text_2024
    # 一般公共预算财政拨款支出 160,000.75 vs 200.00万元 = 2,000,000.00: −1,839,999.25, 92.00 %
    assert "减少1,839,999.25元，下降92.00%" in text_2024


def test_changing_a_table_figure_changes_the_sentence(narrated: MiniContent, tmp_path: Path) -> None:
    before = page_text(built(narrated, tmp_path / "a")[REPORT_2023], "explanation")
    assert "政府采购支出总额10.00万元，其中：政府采购货物支出6.00万元" in before
    narrated.replace(f"{REPORT_2023}/tables/related_info.yaml", "procurement: {total: 10.00, goods: 6.00,",
                     "procurement: {total: 12.50, goods: 8.50,")
    after = page_text(built(narrated, tmp_path / "b")[REPORT_2023], "explanation")
    assert "政府采购支出总额12.50万元，其中：政府采购货物支出8.50万元" in after


def test_attachment_text_figure_links_to_the_report_page_cell(narrated: MiniContent, tmp_path: Path) -> None:
    narrated.replace(f"{REPORT_2023}/attachments/window-service.yaml", "goal: 完成全年窗口经办服务。",
                     "goal: 完成全年窗口经办服务，项目支出{{支出决算表/合计/项目支出}}。")
    out = tmp_path / "out"
    report_page = built(narrated, out)[REPORT_2023]
    attachment = (out / "units" / REPORT_2023 / "attachments" / "window-service" / "index.html").read_text(encoding="utf-8")
    assert ('完成全年窗口经办服务，项目支出<a class="figure" href="../../#cell-expenditure-rows-total-project" '
            'data-ref="expenditure/rows/total/project">45.00</a>万元。') in attachment
    assert re.search(r'<td id="cell-expenditure-rows-total-project"[^>]*>45\.00<', report_page)
