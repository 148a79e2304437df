#!/usr/bin/env python3
"""Generate a large, internally consistent content folder for benchmarks.

    python bench/generate.py --reports N --out DIR [--seed S]

writes ``DIR/site.yaml``, ``DIR/glossary.yaml`` and about N/3 unit folders spread over several
regions (山西 → template ``shanxi-2023`` in 万元, 宁夏 → ``ningxia-2024`` in 元) and parent
departments, each with 1–5 report years out of 2021–2025. Every report has every table of its
template variant, ``overview.md``, ``explanation.md`` and 0–3 performance self-evaluations.

Figures are built bottom-up in integer cents (exact, like ``Decimal`` with two places): 项 → 款 →
类 → 合计, so every equation of ``site_builder/standards/checks.yaml`` holds exactly — the
generated content checks clean, without rounding warnings. Only codes listed in the package's
``function_codes.yaml`` and ``economic_codes.yaml`` (and, for the 基本支出明细表, in the
template's frame) are used.

The output depends only on the arguments and the standards data: the same seed gives the same
bytes. A folder written by this script carries a marker file and is replaced on the next run; any
other non-empty folder is refused.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml

try:
    import site_builder

    STANDARDS = Path(site_builder.__file__).resolve().parent / "standards"
except ImportError:  # run from a checkout without installing the package
    STANDARDS = Path(__file__).resolve().parent.parent / "site_builder" / "standards"

MARKER = ".bench-generated"
YEARS = (2021, 2022, 2023, 2024, 2025)
CENT = Decimal("0.01")

# ------------------------------------------------------------------------------------------------
# Standards data (read, never written)


def _load(name: str) -> dict:
    with open(STANDARDS / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _current_names(data: dict) -> dict[str, str]:
    """code → name of a code list (codes.schema.json), leaving out the codes that are valid only in
    some years (the generator's reports span years the lists may not cover)."""
    names = {}
    for code, entry in data["codes"].items():
        if isinstance(entry, str):
            names[str(code)] = entry
        elif "valid" not in entry:
            names[str(code)] = entry["name"]
    return names


@dataclass
class Standards:
    class_names: dict[str, str]
    code_names: dict[str, str]
    tree: dict[str, dict[str, list[str]]]  # 类 → 款 → [项], only branches down to 项
    economic_names: dict[str, str]
    templates: dict[str, dict]
    economic: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # template → 类 → [款]

    @classmethod
    def read(cls) -> Standards:
        function = _current_names(_load("function_codes.yaml"))
        economic = _current_names(_load("economic_codes.yaml"))
        templates = {}
        for path in sorted((STANDARDS / "templates").glob("*.yaml")):
            data = _load(f"templates/{path.name}")
            templates[data["id"]] = data
        classes = {code: name for code, name in function.items() if len(code) == 3}
        names = {code: name for code, name in function.items() if len(code) > 3}
        tree: dict[str, dict[str, list[str]]] = {}
        for code in names:
            if len(code) == 7 and code[:5] in names and code[:3] in classes:
                tree.setdefault(code[:3], {}).setdefault(code[:5], []).append(code)
        std = cls(classes, names, tree, economic, templates)
        for tid, data in templates.items():
            frame = next(t for t in data["tables"] if t["id"] == "basic_expenditure_detail")
            dash = set(frame.get("dash_codes", []))
            by_class: dict[str, list[str]] = {}
            for group in frame["groups"]:
                for code in group:
                    if code in dash or code not in std.economic_names:
                        continue
                    if len(code) == 3:
                        by_class.setdefault(code, [])
                    elif len(code) == 5 and code[:3] in by_class:
                        by_class[code[:3]].append(code)
            std.economic[tid] = by_class
            allowed = set(data["function_classes"])
            for klass in list(tree):
                if klass not in allowed:
                    del tree[klass]
        return std

    def table_ids(self, template: str) -> list[str]:
        return [t["id"] for t in self.templates[template]["tables"]]


# ------------------------------------------------------------------------------------------------
# Money in integer cents


def money(cents: int) -> str:
    """Plain YAML decimal with two places: 1234567 → 12345.67."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def shown(cents: int) -> str:
    """Narrative style: 1234567 → 12,345.67."""
    return f"{cents // 100:,}.{cents % 100:02d}"


def pct(part: int, whole: int) -> str:
    if whole == 0:
        return "0.00"
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(CENT, ROUND_HALF_UP))


def split(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights``; the parts add up exactly."""
    whole = sum(weights)
    if whole == 0:
        return [total] + [0] * (len(weights) - 1) if weights else []
    parts = [total * w // whole for w in weights]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def split_min(total: int, weights: list[int], minimum: int) -> list[int]:
    """Like split, but every part with a positive weight gets at least ``minimum`` when possible."""
    positive = sum(1 for w in weights if w > 0)
    if positive == 0 or total < positive * minimum:
        return split(total, weights)
    parts = split(total - positive * minimum, weights)
    return [p + minimum if w > 0 else p for p, w in zip(parts, weights, strict=True)]


def weight(rng: random.Random, sigma: float = 0.8, scale: float = 1.0) -> int:
    return max(1, int(rng.lognormvariate(0.0, sigma) * scale * 10000))


def frac(rng: random.Random, low: float, high: float) -> int:
    """A fraction in per-million, for integer arithmetic."""
    return int(rng.uniform(low, high) * 1_000_000)


def take(cents: int, per_million: int) -> int:
    return cents * per_million // 1_000_000


def q(text: str) -> str:
    """A YAML double-quoted string (valid JSON string syntax is valid YAML)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ------------------------------------------------------------------------------------------------
# The world: regions, departments, units

PROVINCES = {
    "shanxi": ("shanxi-2023", "万元", "山西省"),
    "ningxia": ("ningxia-2024", "元", "宁夏回族自治区"),
}
# (slug, province, region, place name, level) — alternating provinces so that even two units
# cover both template variants.
REGIONS = [
    ("jincheng", "shanxi", "山西省晋城市", "晋城市", "市级"),
    ("yanchi", "ningxia", "宁夏回族自治区吴忠市盐池县", "盐池县", "县级"),
    ("taiyuan", "shanxi", "山西省太原市", "太原市", "市级"),
    ("yinchuan", "ningxia", "宁夏回族自治区银川市", "银川市", "市级"),
    ("changzhi", "shanxi", "山西省长治市", "长治市", "市级"),
    ("wuzhong", "ningxia", "宁夏回族自治区吴忠市", "吴忠市", "市级"),
    ("yangcheng", "shanxi", "山西省晋城市阳城县", "阳城县", "县级"),
    ("guyuan", "ningxia", "宁夏回族自治区固原市", "固原市", "市级"),
    ("yuncheng", "shanxi", "山西省运城市", "运城市", "市级"),
    ("zhongwei", "ningxia", "宁夏回族自治区中卫市", "中卫市", "市级"),
]

# (slug, code, department, main 类, preferred 款, [(unit slug, unit name, kind)], duties)
# kind: admin 行政单位 | civil 参照公务员法管理事业单位 | public 事业单位
DEPARTMENTS = [
    ("hrss", 144, "人力资源和社会保障局", "208", ["20801", "20807"],
     [("bureau", "人力资源和社会保障局", "admin"), ("social-insurance", "社会保险中心", "civil"),
      ("employment", "公共就业服务中心", "public"), ("labour-inspection", "劳动保障监察支队", "civil")],
     "就业创业、社会保险、劳动关系和人事人才"),
    ("health", 150, "卫生健康委员会", "210", ["21004", "21011"],
     [("commission", "卫生健康委员会", "admin"), ("cdc", "疾病预防控制中心", "public"),
      ("health-enforcement", "卫生健康综合行政执法队", "civil")],
     "医疗卫生、疾病预防控制和卫生健康监督"),
    ("education", 121, "教育局", "205", ["20502", "20508"],
     [("bureau", "教育局", "admin"), ("middle-school", "第一中学", "public"),
      ("primary-school", "实验小学", "public"), ("teacher-training", "教师进修学校", "public")],
     "学前教育、义务教育、高中教育和教师培训"),
    ("agriculture", 170, "农业农村局", "213", ["21301"],
     [("bureau", "农业农村局", "admin"), ("agri-tech", "农业技术推广中心", "public"),
      ("agri-enforcement", "农业综合行政执法队", "civil")],
     "农业生产、农村发展、农业技术推广和农业执法"),
    ("water", 172, "水利局", "213", ["21303"],
     [("bureau", "水利局", "admin"), ("water-affairs", "水利事业发展中心", "public")],
     "水资源管理、水利工程建设运行和防汛抗旱"),
    ("public-security", 115, "公安局", "204", ["20402"],
     [("bureau", "公安局", "admin"), ("traffic-police", "公安局交通警察支队", "admin")],
     "社会治安、道路交通管理和案件侦办"),
    ("culture", 130, "文化和旅游局", "207", ["20701"],
     [("bureau", "文化和旅游局", "admin"), ("library", "图书馆", "public"), ("culture-centre", "文化馆", "public")],
     "公共文化服务、文物保护和旅游发展"),
    ("environment", 160, "生态环境局", "211", ["21103"],
     [("bureau", "生态环境局", "admin"), ("monitoring", "生态环境监测站", "public")],
     "大气、水和土壤污染防治及生态环境监测"),
    ("urban", 165, "城市管理局", "212", ["21201"],
     [("bureau", "城市管理局", "admin"), ("sanitation", "环境卫生服务中心", "public"),
      ("urban-enforcement", "城市管理综合行政执法队", "civil")],
     "市容环境卫生、城市管理执法和市政设施维护"),
    ("transport", 180, "交通运输局", "214", ["21401"],
     [("bureau", "交通运输局", "admin"), ("highway", "公路事业发展中心", "public")],
     "公路建设养护、道路运输管理和交通执法"),
    ("emergency", 190, "应急管理局", "224", ["22401"],
     [("bureau", "应急管理局", "admin"), ("rescue", "应急救援指挥中心", "public")],
     "安全生产监管、应急救援和防灾减灾"),
    ("finance", 110, "财政局", "201", ["20106"],
     [("bureau", "财政局", "admin"), ("treasury", "财政国库支付中心", "civil")],
     "财政预算编制执行、国库集中支付和政府采购监管"),
    ("government-office", 101, "人民政府办公室", "201", ["20103"],
     [("office", "人民政府办公室", "admin"), ("service-centre", "政务服务中心", "public")],
     "政务运转、督查督办和政务服务"),
]

KIND_LABEL = {"admin": "行政单位", "civil": "参照公务员法管理的事业单位", "public": "公益一类事业单位"}


@dataclass
class UnitPlan:
    slug: str
    name: str
    code: str
    parent: str
    parent_code: int
    region: str
    place: str
    level: str
    province: str
    kind: str
    dept: tuple
    years: list[int]
    structure: dict[str, dict[str, list[str]]]  # 类 → 款 → [项]
    basic_bias: dict[str, int]  # 项 → basic share per million
    flags: dict[str, bool]
    staff: int
    scale: int  # base expenditure in cents


def plan_units(std: Standards, reports: int, seed: str) -> list[UnitPlan]:
    rng = random.Random(f"{seed}:units")
    n_units = max(1, -(-reports // 3))
    if reports > 5 * n_units:  # cannot happen with n = ceil(N/3), kept as a guard
        n_units = -(-reports // 5)
    counts = [1] * n_units
    rest = reports - n_units
    while rest > 0:
        i = rng.randrange(n_units)
        if counts[i] < len(YEARS):
            counts[i] += 1
            rest -= 1
    combos = [(r, d, u) for d in DEPARTMENTS for u in d[5] for r in REGIONS]
    rng.shuffle(combos)
    # interleave provinces so that the first units already cover both variants
    by_province = {p: [c for c in combos if c[0][1] == p] for p in PROVINCES}
    ordered = []
    for i in range(len(combos)):
        pool = by_province["shanxi" if i % 2 == 0 else "ningxia"]
        if pool:
            ordered.append(pool.pop(0))
    ordered += [c for p in PROVINCES for c in by_province[p]]
    units = []
    used: dict[str, int] = {}
    for i in range(n_units):
        region, dept, (uslug, uname, kind) = ordered[i % len(ordered)]
        rslug, province, region_name, place, level = region
        dslug, dcode, dname, *_ = dept
        slug = f"{rslug}-{dslug}-{uslug}"
        round_ = used.get(slug, 0) + 1
        used[slug] = round_
        name = f"{place}{uname}"
        if round_ > 1:
            slug = f"{slug}-{round_}"
            name = f"{name}第{round_}分支机构"
        urng = random.Random(f"{seed}:unit:{slug}")
        start = urng.randint(YEARS[0], YEARS[-1] - counts[i] + 1)
        years = list(range(start, start + counts[i]))
        structure, bias = plan_structure(std, urng, dept)
        unit_index = 1 if uslug in ("bureau", "commission", "office") else 2 + dept[5].index((uslug, uname, kind))
        template, unit, _ = PROVINCES[province]
        scale_units = urng.lognormvariate(7.6, 1.0)  # 万元: median ~2,000, a few hundred to tens of thousands
        scale = int(min(max(scale_units, 300.0), 60000.0) * 100 * (10000 if unit == "元" else 1))
        if unit == "元":
            scale = min(max(scale, 10_000_000), 8_000_000_000)
        flags = {
            "government_fund": urng.random() < 0.18,
            "state_capital": urng.random() < 0.06,
            "non_fiscal": kind == "public" and urng.random() < 0.85 or urng.random() < 0.15,
            "operating": kind == "public" and urng.random() < 0.15,
            "to_superior": urng.random() < 0.04,
            "to_affiliated": urng.random() < 0.05,
            "tuition": dept[3] == "205" and kind == "public",
            "reception": urng.random() < 0.8,
            "vehicles": urng.random() < (0.7 if kind == "admin" else 0.35),
            "abroad": urng.random() < 0.04,
            "carryover": urng.random() < 0.6,
            "zeros": urng.random() < 0.4,  # print explicit 0.00 instead of blanks in the summaries
        }
        units.append(UnitPlan(
            slug=slug, name=name, code=f"{dcode:03d}{unit_index:03d}", parent=f"{place}{dname}", parent_code=dcode,
            region=region_name, place=place, level=level, province=province, kind=kind, dept=dept, years=years,
            structure=structure, basic_bias=bias, flags=flags, staff=urng.randint(8, 160), scale=scale,
        ))
    return units


def plan_structure(std: Standards, rng: random.Random, dept: tuple) -> tuple[dict[str, dict[str, list[str]]], dict[str, int]]:
    main, preferred = dept[3], dept[4]
    tree = std.tree
    structure: dict[str, dict[str, list[str]]] = {}

    def add(klass: str, kuan: str, xiangs: list[str]) -> None:
        structure.setdefault(klass, {}).setdefault(kuan, [])
        for x in xiangs:
            if x not in structure[klass][kuan]:
                structure[klass][kuan].append(x)

    if main in tree:
        kuans = [k for k in preferred if k in tree[main]] or list(tree[main])
        others = [k for k in tree[main] if k not in kuans]
        chosen = kuans + rng.sample(others, min(len(others), rng.randint(0, 2)))
        for kuan in chosen:
            items = tree[main][kuan]
            add(main, kuan, rng.sample(items, rng.randint(1, min(3, len(items)))))
    # personnel-related classes every unit has: pensions, medical insurance, housing fund
    common = [("208", "20805", ["2080505", "2080506"]), ("210", "21011", ["2101101" if rng.random() < 0.5 else "2101102"]),
              ("221", "22102", ["2210201"])]
    for klass, kuan, items in common:
        if klass == "210" and rng.random() < 0.2:
            continue
        items = [x for x in items if x in tree.get(klass, {}).get(kuan, [])]
        if items:
            add(klass, kuan, items)
            if klass == "208" and rng.random() < 0.5:
                add(klass, kuan, [x for x in ("2080501", "2080502") if x in tree[klass][kuan]][:1])
    if rng.random() < 0.3:
        extra = [k for k in tree if k not in structure]
        if extra:
            klass = rng.choice(extra)
            kuan = rng.choice(list(tree[klass]))
            add(klass, kuan, [rng.choice(tree[klass][kuan])])
    # the document order is the code order
    ordered = {k: {kk: sorted(structure[k][kk]) for kk in sorted(structure[k])} for k in sorted(structure)}
    bias: dict[str, int] = {}
    for klass, kuans in ordered.items():
        for kuan, items in kuans.items():
            for code in items:
                name = std.code_names.get(code, "")
                if klass in ("208", "210", "221") and kuan in ("20805", "21011", "22102"):
                    share = 1.0 if code not in ("2080502", "2080501") else rng.uniform(0.3, 1.0)
                elif "运行" in name:
                    share = rng.uniform(0.85, 1.0)
                elif rng.random() < 0.3:
                    share = 0.0
                else:
                    share = rng.uniform(0.1, 0.7)
                bias[code] = int(share * 1_000_000)
    return ordered, bias


# ------------------------------------------------------------------------------------------------
# One report's figures

EXP_COLS = ("gb_b", "gb_p", "gf_b", "gf_p", "sc_b", "sc_p", "nf_b", "nf_p", "sup", "op", "aff")
INC_COLS = ("superior", "business", "operating", "affiliated", "other")


@dataclass
class Figures:
    leaves: dict[str, dict[str, int]]  # 项 → column → cents (expenditure and income parts)
    structure: dict[str, dict[str, list[str]]]
    nf_opening: int
    nf_closing: int
    nf_balance_used: int
    surplus: int


def rows_of(fig: Figures, value: Callable[[dict[str, int]], dict[str, int]]) -> dict[str, dict[str, int]]:
    """Every code row (类, 款, 项) and the total, each column summed bottom-up from the 项."""
    rows: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    for klass, kuans in fig.structure.items():
        krow: dict[str, int] = {}
        rows[klass] = krow
        for kuan, items in kuans.items():
            kuan_row: dict[str, int] = {}
            rows[kuan] = kuan_row
            for code in items:
                leaf = value(fig.leaves[code])
                rows[code] = leaf
                for col, v in leaf.items():
                    kuan_row[col] = kuan_row.get(col, 0) + v
            for col, v in kuan_row.items():
                krow[col] = krow.get(col, 0) + v
        for col, v in krow.items():
            total[col] = total.get(col, 0) + v
    return {"total": total, **rows}


def make_figures(unit: UnitPlan, year: int, rng: random.Random, target: int) -> Figures:
    f = unit.flags
    codes = [c for kuans in unit.structure.values() for items in kuans.values() for c in items]
    main = unit.dept[3]
    weights = [weight(rng, 0.9, 4.0 if c.startswith(main) else 1.0) for c in codes]
    per_leaf = split_min(target, weights, 100)
    leaves: dict[str, dict[str, int]] = {}
    gf_codes = set(rng.sample([c for c in codes if c.startswith(main)] or codes, 1)) if f["government_fund"] else set()
    sc_code = rng.choice(codes) if f["state_capital"] else None
    fiscal_share = 1_000_000 if not f["non_fiscal"] else frac(rng, 0.55, 0.95)
    for code, amount in zip(codes, per_leaf, strict=True):
        basic_share = unit.basic_bias[code]
        fiscal = take(amount, fiscal_share) if f["non_fiscal"] else amount
        nonfiscal = amount - fiscal
        gf = take(fiscal, frac(rng, 0.2, 0.6)) if code in gf_codes else 0
        sc = take(fiscal, frac(rng, 0.1, 0.3)) if code == sc_code else 0
        gb = fiscal - gf - sc
        gb_b = take(gb, basic_share)
        gf_b = take(gf, frac(rng, 0.0, 0.2)) if gf else 0
        sc_b = 0
        if nonfiscal:
            w = [basic_share + 1, 1_000_001 - basic_share, 40_000 if f["to_superior"] else 0,
                 80_000 if f["to_affiliated"] else 0, 150_000 if f["operating"] else 0]
            nf_b, nf_p, sup, aff, op = split(nonfiscal, w)
        else:
            nf_b = nf_p = sup = aff = op = 0
        leaf = {"gb_b": gb_b, "gb_p": gb - gb_b, "gf_b": gf_b, "gf_p": gf - gf_b, "sc_b": sc_b, "sc_p": sc - sc_b,
                "nf_b": nf_b, "nf_p": nf_p, "sup": sup, "op": op, "aff": aff}
        # fiscal carry-over: opening and closing balances of each fund, income follows from them
        for fund, spent in (("gb", gb), ("gf", gf), ("sc", sc)):
            project = leaf[f"{fund}_p"]
            opening = take(project, frac(rng, 0.0, 0.08)) if f["carryover"] and project and rng.random() < 0.5 else 0
            closing = take(project, frac(rng, 0.0, 0.08)) if f["carryover"] and project and rng.random() < 0.5 else 0
            if fund == "gf" and spent:
                opening = take(spent, frac(rng, 0.0, 0.3)) if rng.random() < 0.6 else 0
                closing = take(spent, frac(rng, 0.0, 0.3)) if rng.random() < 0.6 else 0
            leaf[f"{fund}_o"], leaf[f"{fund}_c"] = opening, closing
            leaf[f"{fund}_i"] = spent + closing - opening
        # non-fiscal income around the non-fiscal spending of the row
        nf_exp = nf_b + nf_p + sup + op + aff
        income = take(nf_exp, frac(rng, 0.93, 1.07)) if nf_exp else 0
        w = [60_000 if unit.kind != "admin" and rng.random() < 0.3 else 0,  # 上级补助
             700_000 if unit.kind == "public" else 0,  # 事业收入
             200_000 if f["operating"] else 0,  # 经营收入
             30_000 if rng.random() < 0.05 else 0,  # 附属单位上缴
             100_000]  # 其他收入
        sup_i, bus_i, op_i, aff_i, other_i = split(income, w)
        leaf.update({"superior": sup_i, "business": bus_i, "operating": op_i, "affiliated": aff_i, "other": other_i})
        leaf["tuition"] = take(bus_i, frac(rng, 0.3, 0.8)) if f["tuition"] else 0
        leaves[code] = leaf
    nf_exp_total = sum(v[c] for v in leaves.values() for c in ("nf_b", "nf_p", "sup", "op", "aff"))
    nf_inc_total = sum(v[c] for v in leaves.values() for c in INC_COLS)
    surplus = take(nf_inc_total, frac(rng, 0.0, 0.03)) if nf_inc_total and rng.random() < 0.15 else 0
    used = take(nf_exp_total, frac(rng, 0.0, 0.05)) if nf_exp_total and rng.random() < 0.15 else 0
    closing = take(nf_inc_total, frac(rng, 0.0, 0.1)) if nf_inc_total and rng.random() < 0.6 else 0
    opening = nf_exp_total + surplus + closing - nf_inc_total - used
    if opening < 0:
        closing, opening = closing - opening, 0
    return Figures(leaves, unit.structure, opening, closing, used, surplus)


# ------------------------------------------------------------------------------------------------
# Writing tables


def flow(cells: list[tuple[str, int | None]], zeros: bool = False) -> str:
    """A flow mapping of the non-blank cells: {total: 1.00, basic: 1.00}; zero cells are blank unless ``zeros``."""
    shown_cells = [f"{k}: {money(v)}" for k, v in cells if v is not None and (v or zeros)]
    return "{" + ", ".join(shown_cells) + "}"


def scalar(v: int | None, zeros: bool) -> str:
    return money(v) if v is not None and (v or zeros) else ""


class Writer:
    def __init__(self, std: Standards, unit: UnitPlan, year: int, fig: Figures, rng: random.Random) -> None:
        self.std, self.unit, self.year, self.fig, self.rng = std, unit, year, fig, rng
        self.template, self.amount_unit, _ = PROVINCES[unit.province]
        self.zeros = unit.flags["zeros"]
        self.files: dict[str, str] = {}
        self.expenditure = rows_of(fig, lambda v: {
            "total": sum(v[c] for c in EXP_COLS), "basic": v["gb_b"] + v["gf_b"] + v["sc_b"] + v["nf_b"],
            "project": v["gb_p"] + v["gf_p"] + v["sc_p"] + v["nf_p"], "to_superior": v["sup"], "operating": v["op"],
            "to_affiliated": v["aff"]})
        self.income = rows_of(fig, lambda v: {
            "total": v["gb_i"] + v["gf_i"] + v["sc_i"] + sum(v[c] for c in INC_COLS), "fiscal": v["gb_i"] + v["gf_i"] + v["sc_i"],
            **{c: v[c] for c in INC_COLS}, "tuition": v["tuition"]})
        self.general = rows_of(fig, lambda v: {"total": v["gb_b"] + v["gb_p"], "basic": v["gb_b"], "project": v["gb_p"]})
        self.fund = rows_of(fig, lambda v: {"opening": v["gf_o"], "income": v["gf_i"], "total": v["gf_b"] + v["gf_p"],
                                            "basic": v["gf_b"], "project": v["gf_p"], "closing": v["gf_c"]})
        self.capital = rows_of(fig, lambda v: {"total": v["sc_b"] + v["sc_p"], "basic": v["sc_b"], "project": v["sc_p"]})
        self.fiscal_by_fund = {fund: {k: sum(v[f"{fund}_{k}"] for v in fig.leaves.values()) for k in ("o", "c", "i")}
                               for fund in ("gb", "gf", "sc")}

    def header(self, number_title: str) -> str:
        return f"# {number_title}（金额单位：{self.amount_unit}；基准测试生成数据）\n"

    def frame(self, table_id: str) -> dict:
        return next(t for t in self.std.templates[self.template]["tables"] if t["id"] == table_id)

    def title(self, table_id: str) -> str:
        frame = self.frame(table_id)
        return f"{frame['number']} {frame['title']}"

    def coded(self, table_id: str, rows: dict[str, dict[str, int]], columns: list[tuple[str, str]]) -> str:
        """A code table: total + every row with a figure; zero cells are blank."""
        lines = [self.header(self.title(table_id)).rstrip("\n"), "rows:"]
        for key, row in rows.items():
            if not any(row.values()):
                continue
            cells = [(out, row.get(src, 0)) for out, src in columns]
            label = "total" if key == "total" else q(key)
            lines.append(f"  {label}: {flow(cells)}")
        if len(lines) == 2:
            return self.empty(table_id)
        return "\n".join(lines) + "\n"

    def empty(self, table_id: str) -> str:
        notes = {
            "government_fund": "本单位本年度无政府性基金预算财政拨款收支，故本表无数据",
            "state_capital": "本单位本年度无国有资本经营预算财政拨款支出，故本表无数据",
        }
        return (f"{self.header(self.title(table_id))}# printed with an empty 合计 row and the note below.\n"
                f"rows: {{}}\nempty_note: {notes.get(table_id, '本表无数据')}\n")

    # -- the tables -------------------------------------------------------------------------------
    def summary(self) -> str:
        inc, exp, fig = self.income["total"], self.expenditure["total"], self.fig
        z = self.zeros
        gb, gf, sc = (self.fiscal_by_fund[f]["i"] for f in ("gb", "gf", "sc"))
        total_income = inc["total"]
        opening = sum(self.fiscal_by_fund[f]["o"] for f in ("gb", "gf", "sc")) + fig.nf_opening
        closing = sum(self.fiscal_by_fund[f]["c"] for f in ("gb", "gf", "sc")) + fig.nf_closing
        grand = total_income + fig.nf_balance_used + opening
        assert grand == exp["total"] + fig.surplus + closing, "summary does not balance"
        lines = [self.header(self.title("income_expenditure_summary")).rstrip("\n"), "income:"]
        for key, value in (("general_budget", gb), ("government_fund", gf), ("state_capital", sc),
                           ("superior", inc["superior"]), ("business", inc["business"]), ("operating", inc["operating"]),
                           ("affiliated", inc["affiliated"]), ("other", inc["other"])):
            text = scalar(value, z)
            if text:
                lines.append(f"  {key}: {text}")
        lines.append(f"  total_income: {money(total_income)}")
        for key, value in (("non_fiscal_balance_used", fig.nf_balance_used), ("opening", opening)):
            text = scalar(value, z)
            if text:
                lines.append(f"  {key}: {text}")
        lines.append(f"  grand_total: {money(grand)}")
        lines.append("expenditure:")
        for klass in self.fig.structure:
            lines.append(f"  {q(klass)}: {money(self.expenditure[klass]['total'])}  # {self.std.class_names[klass]}")
        lines.append(f"  total_expenditure: {money(exp['total'])}")
        for key, value in (("surplus_distribution", fig.surplus), ("closing", closing)):
            text = scalar(value, z)
            if text:
                lines.append(f"  {key}: {text}")
        lines.append(f"  grand_total: {money(grand)}")
        return "\n".join(lines) + "\n"

    def fiscal_summary(self) -> str:
        z = self.zeros
        funds = self.fiscal_by_fund
        gb, gf, sc = (funds[f]["i"] for f in ("gb", "gf", "sc"))
        og, of, os_ = (funds[f]["o"] for f in ("gb", "gf", "sc"))
        cg, cf, cs = (funds[f]["c"] for f in ("gb", "gf", "sc"))
        lines = [self.header(self.title("fiscal_summary")).rstrip("\n"), "income:"]
        for key, value in (("general_budget", gb), ("government_fund", gf), ("state_capital", sc),
                           ("total_income", gb + gf + sc), ("opening", og + of + os_), ("opening_general_budget", og),
                           ("opening_government_fund", of), ("opening_state_capital", os_)):
            text = money(value) if key == "total_income" else scalar(value, z)
            if text:
                lines.append(f"  {key}: {text}")
        lines.append(f"  grand_total: {money(gb + gf + sc + og + of + os_)}")
        lines.append("expenditure:")

        def row(g: int, f: int, s: int) -> str:
            return flow([("total", g + f + s), ("general_budget", g), ("government_fund", f), ("state_capital", s)], z)

        tg = tf = ts = 0
        for klass in self.fig.structure:
            g, f, s = self.general[klass].get("total", 0), self.fund[klass].get("total", 0), self.capital[klass].get("total", 0)
            tg, tf, ts = tg + g, tf + f, ts + s
            if g or f or s:
                lines.append(f"  {q(klass)}: {row(g, f, s)}")
        lines.append(f"  total_expenditure: {row(tg, tf, ts)}")
        lines.append(f"  closing: {row(cg, cf, cs)}")
        lines.append(f"  grand_total: {row(tg + cg, tf + cf, ts + cs)}")
        assert gb + og == tg + cg and gf + of == tf + cf and sc + os_ == ts + cs, "fiscal summary does not balance"
        return "\n".join(lines) + "\n"

    def income_table(self) -> str:
        columns = [("total", "total"), ("fiscal", "fiscal"), ("superior", "superior"), ("business", "business")]
        if self.template == "ningxia-2024":
            columns.append(("business_tuition", "tuition"))
        columns += [("operating", "operating"), ("affiliated", "affiliated"), ("other", "other")]
        return self.coded("income", self.income, columns)

    def basic_detail(self) -> tuple[str, dict[str, int]]:
        """基本支出明细: the general budget basic total split over economic codes, exactly."""
        rng, f = self.rng, self.unit.flags
        basic = self.general["total"].get("basic", 0)
        economic = self.std.economic[self.template]
        personnel = take(basic, frac(rng, 0.72, 0.92))
        public = basic - personnel
        p301, p303 = split(personnel, [9_000, 1_000 if "303" in economic and rng.random() < 0.6 else 0])
        rows: dict[str, int] = {}

        def spread(klass: str, amount: int, chosen: list[tuple[str, int]]) -> None:
            chosen = [(c, w) for c, w in chosen if c in economic.get(klass, [])]
            if amount <= 0 or not chosen:
                return
            parts = split_min(amount, [w for _, w in chosen], 1)
            rows[klass] = amount
            for (code, _), part in sorted(zip(chosen, parts, strict=True)):
                if part:
                    rows[code] = part

        wage = ["30101", "30102", "30103", "30107", "30108", "30109", "30110", "30111", "30112", "30113", "30199"]
        must = ["30101", "30102", "30108", "30110", "30113"]
        picked = must + rng.sample([c for c in wage if c not in must], rng.randint(1, 5))
        spread("301", p301, [(c, weight(rng, 0.5, 3.0 if c in ("30101", "30102", "30107") else 1.0)) for c in picked])
        spread("303", p303, [(c, weight(rng, 0.6)) for c in ["30302"] + rng.sample(["30301", "30305", "30309", "30399"], rng.randint(0, 2))])
        goods = ["30201", "30202", "30205", "30206", "30207", "30209", "30211", "30213", "30215", "30216", "30226",
                 "30228", "30229", "30239", "30299"]
        picked = ["30201"] + rng.sample(goods[1:], rng.randint(4, 10))
        special = [("30217", 0.08, f["reception"]), ("30231", 1.2, f["vehicles"]), ("30212", 0.4, f["abroad"])]
        picked += [c for c, _, on in special if on]
        special_scale = {c: s for c, s, _ in special}
        capital = []
        if rng.random() < 0.3:
            capital.append(("31002", weight(rng, 0.5)))
        if f["vehicles"] and rng.random() < 0.15:
            capital.append(("31013", weight(rng, 0.3, 4.0)))
        w_goods = sum(weight(rng, 0.3) for _ in range(3)) * (4 if not capital else 3)
        w_cap = sum(w for _, w in capital)
        p302, p310 = split(public, [w_goods, w_cap])
        spread("302", p302, [(c, weight(rng, 0.8, special_scale.get(c, 1.0))) for c in picked])
        spread("310", p310, capital)
        # document order: the order of the template's groups
        order = [c for group in self.frame("basic_expenditure_detail")["groups"] for c in group]
        ordered = {c: rows[c] for c in order if c in rows}
        personnel_total = ordered.get("301", 0) + ordered.get("303", 0)
        public_total = sum(v for c, v in ordered.items() if len(c) == 3 and c not in ("301", "303"))
        assert personnel_total + public_total == basic, "basic detail does not add up"
        lines = [self.header(self.title("basic_expenditure_detail")).rstrip("\n"), "rows:"]
        for code, value in ordered.items():
            lines.append(f"  {q(code)}: {money(value)}  # {self.std.economic_names[code]}")
        lines.append(f"  personnel_total: {money(personnel_total)}")
        lines.append(f"  public_total: {money(public_total)}")
        ordered["personnel_total"], ordered["public_total"] = personnel_total, public_total
        return "\n".join(lines) + "\n", ordered

    def three_public(self, detail: dict[str, int]) -> tuple[str, dict[str, dict[str, int]]]:
        rng = self.rng
        final = {}
        for column, code in (("abroad", "30212"), ("vehicle_purchase", "31013"), ("vehicle_operation", "30231"),
                             ("reception", "30217")):
            base = detail.get(code, 0)
            extra = take(base, frac(rng, 0.0, 0.5)) if base and rng.random() < 0.3 else 0
            final[column] = base + extra
        budget = {k: v + take(v, frac(rng, 0.0, 0.25)) if v else 0 for k, v in final.items()}
        result = {}
        lines = [self.header(self.title("three_public")).rstrip("\n"), "rows:"]
        anything = any(final.values())
        for name, values in (("budget", budget), ("final", final)):
            vehicles = values["vehicle_purchase"] + values["vehicle_operation"]
            total = values["abroad"] + vehicles + values["reception"]
            cells = [("total", total), ("abroad", values["abroad"]), ("vehicles", vehicles),
                     ("vehicle_purchase", values["vehicle_purchase"]), ("vehicle_operation", values["vehicle_operation"]),
                     ("reception", values["reception"])]
            result[name] = dict(cells)
            comment = "预算数" if name == "budget" else "决算数"
            lines.append(f"  {name}: {flow(cells, zeros=self.zeros or not anything)}  # {comment}")
        return "\n".join(lines) + "\n", result

    def related_info(self, detail: dict[str, int]) -> tuple[str, dict[str, int]]:
        rng, f = self.rng, self.unit.flags
        total_exp = self.expenditure["total"]["total"]
        info: dict[str, int] = {}
        lines = [self.header(self.title("related_info")).rstrip("\n"), "# 国有资产占用为数量（辆、台套），不是金额"]
        if rng.random() < 0.75:
            amount = take(total_exp, frac(rng, 0.002, 0.05))
            goods, works, services = split(amount, [weight(rng), weight(rng) if rng.random() < 0.2 else 0,
                                                    weight(rng) if rng.random() < 0.6 else 0])
            info.update(procurement=amount, goods=goods, works=works, services=services)
            lines.append(f"procurement: {flow([('total', amount), ('goods', goods), ('works', works), ('services', services)])}")
        else:
            lines.append("procurement: {total: 0.00, goods: 0.00, works: 0.00, services: 0.00}")
            info.update(procurement=0, goods=0, works=0, services=0)
        public = detail.get("public_total", 0)
        lines.append("running_costs:")
        running = public if self.unit.kind != "public" else 0
        info["running_costs"] = running
        lines.append(f"  administrative: {money(running) if self.unit.kind == 'admin' else ''}".rstrip())
        lines.append(f"  civil_service_managed: {money(running) if self.unit.kind == 'civil' else ''}".rstrip())
        lines.append("assets:")
        kinds = ["vice_ministerial", "principal", "confidential", "emergency", "law_enforcement", "special_technical",
                 "retired_cadres", "other"]
        counts = dict.fromkeys(kinds, 0)
        if f["vehicles"]:
            for kind in rng.sample(["principal", "emergency", "law_enforcement", "special_technical", "other"], rng.randint(1, 3)):
                counts[kind] = rng.randint(1, 6)
        vehicles = sum(counts.values())
        equipment = rng.randint(0, 3) if rng.random() < 0.25 else 0
        info["vehicles"], info["equipment"] = vehicles, equipment
        lines.append(f"  vehicles_total: {vehicles}")
        lines += [f"  {kind}: {counts[kind]}" for kind in kinds]
        lines.append(f"  equipment_over_1m: {equipment}")
        return "\n".join(lines) + "\n", info

    def tables(self) -> dict[str, object]:
        facts: dict[str, object] = {}
        ids = self.std.table_ids(self.template)
        out = self.files
        out["tables/income_expenditure_summary.yaml"] = self.summary()
        out["tables/income.yaml"] = self.income_table()
        out["tables/expenditure.yaml"] = self.coded("expenditure", self.expenditure, [
            ("total", "total"), ("basic", "basic"), ("project", "project"), ("to_superior", "to_superior"),
            ("operating", "operating"), ("to_affiliated", "to_affiliated")])
        out["tables/fiscal_summary.yaml"] = self.fiscal_summary()
        out["tables/general_budget_expenditure.yaml"] = self.coded("general_budget_expenditure", self.general,
                                                                   [("total", "total"), ("basic", "basic"), ("project", "project")])
        out["tables/basic_expenditure_detail.yaml"], facts["detail"] = self.basic_detail()
        out["tables/government_fund.yaml"] = self.coded("government_fund", self.fund, [
            ("opening", "opening"), ("income", "income"), ("total", "total"), ("basic", "basic"), ("project", "project"),
            ("closing", "closing")])
        out["tables/state_capital.yaml"] = self.coded("state_capital", self.capital,
                                                      [("total", "total"), ("basic", "basic"), ("project", "project")])
        out["tables/three_public.yaml"], facts["three_public"] = self.three_public(facts["detail"])
        if "related_info" in ids:
            out["tables/related_info.yaml"], facts["related"] = self.related_info(facts["detail"])
        missing = [t for t in ids if f"tables/{t}.yaml" not in out]
        assert not missing, f"generator does not write tables {missing}"
        return facts


# ------------------------------------------------------------------------------------------------
# Performance self-evaluations (项目支出绩效自评表)

PROJECTS = {
    "208": ["社会保险经办服务", "就业创业补贴发放", "企业退休人员取暖费", "城乡居民养老保险市级补助", "劳动保障监察执法"],
    "210": ["基本公共卫生服务", "重大传染病防控", "卫生监督执法", "疫苗冷链运维"],
    "205": ["校舍维修改造", "教师培训", "学生资助", "教学设备购置"],
    "213": ["农业技术推广", "高标准农田建设", "农田水利设施维护", "动物疫病防控"],
    "204": ["道路交通安全设施维护", "执法办案装备购置", "视频监控系统运维"],
    "207": ["公共文化服务体系建设", "图书购置", "文物保护修缮", "群众文化活动"],
    "211": ["大气污染防治", "生态环境监测", "水污染防治"],
    "212": ["城市环境卫生保洁", "市政设施维护", "城市管理执法"],
    "214": ["农村公路养护", "道路运输安全监管"],
    "224": ["应急物资储备", "安全生产监管执法", "防汛抗旱"],
    "201": ["政务服务平台运维", "财政信息化建设", "预算绩效评价"],
}
GENERIC_PROJECTS = ["信息化系统运维", "办公楼维修改造", "业务档案数字化", "专项业务培训"]
LEVEL2 = {
    "产出指标": [("数量指标", [("{p}覆盖人数", "≥{n}人"), ("完成{p}任务数", "={n}项"), ("开展培训次数", "≥{m}次")]),
              ("质量指标", [("{p}验收合格率", "=100%"), ("资金使用合规率", "=100%"), ("服务质量达标率", "≥95%")]),
              ("时效指标", [("资金拨付及时率", "=100%"), ("{p}完成时间", "12月底前")]),
              ("成本指标", [("{p}成本控制", "≤预算"), ("人均服务成本", "≤{m}千元")])],
    "效益指标": [("社会效益指标", [("{p}群众知晓率", "≥90%"), ("保障业务正常开展", "有效保障")]),
              ("可持续影响指标", [("长效管理机制", "建立健全"), ("{p}持续发挥作用年限", "≥{m}年")])],
    "满意度指标": [("服务对象满意度指标", [("服务对象满意度", "≥90%"), ("群众满意度", "≥95%")])],
}


def grade_for(score: Decimal) -> str:
    for floor, grade in ((90, "优"), (80, "良"), (60, "中")):
        if score >= floor:
            return grade
    return "差"


def dec(value: Decimal) -> str:
    """Decimal as typed: 10, 4.5, 9.67 (no exponent)."""
    text = f"{value:f}"
    return text


def attachment(unit: UnitPlan, year: int, rng: random.Random, project: str, annual_cents: int, amount_unit: str) -> tuple[str, dict]:
    funds_points = 10 if rng.random() < 0.85 else 20
    annual = max(annual_cents, 100)
    executed = annual if rng.random() < 0.5 else take(annual, frac(rng, 0.6, 0.995))
    initial = annual if rng.random() < 0.6 else annual + take(annual, frac(rng, 0.0, 0.2))
    rate_unit = "percent" if rng.random() < 0.85 else "ratio"
    scale = Decimal(100) if rate_unit == "percent" else Decimal(1)
    places = Decimal("0.01") if rate_unit == "percent" else Decimal("0.0001")

    def rate_of(done: int, budget: int) -> Decimal:
        return (Decimal(done) * scale / Decimal(budget)).quantize(places, ROUND_HALF_UP)

    def score_of(rate: Decimal) -> Decimal:
        points = Decimal(funds_points)
        return min(points, points * rate / scale).quantize(CENT, ROUND_HALF_UP)

    sources = ["本级财政资金"] if rng.random() < 0.6 else ["本级财政资金", "上级补助资金"]
    annual_parts = split_min(annual, [weight(rng) for _ in sources], 1)
    executed_parts = split(executed, annual_parts)
    initial_parts = split(initial, annual_parts)
    rows = [("资金总额", initial, annual, executed)] + list(zip(sources, initial_parts, annual_parts, executed_parts, strict=True))
    lines = [
        "kind: performance",
        f"title: {project}项目支出绩效自评表",
        f"project: {project}",
        f"department: {unit.parent_code:03d}-{unit.parent}",
        f"implementer: {unit.code}-{unit.name}",
        f"amount_unit: {amount_unit}",
        "funds:",
        f"  points: {funds_points}",
        f"  rate_unit: {rate_unit}",
        "  rows:",
    ]
    funds_score = Decimal(0)
    for index, (source, init, ann, done) in enumerate(rows):
        rate = rate_of(done, ann) if ann else None
        score = score_of(rate) if rate is not None else None
        if index == 0:
            funds_score = score or Decimal(0)
        lines += [f"    - source: {source}", f"      declared: {money(init)}", f"      initial: {money(init)}",
                  f"      annual: {money(ann)}", f"      executed: {money(done)}", f"      balance: {money(ann - done)}"]
        if rate is not None:
            lines += [f"      rate: {dec(rate)}", f"      score: {dec(score)}"]
    lines.append(f"goal: {year}年按计划完成{project}各项任务，资金使用规范，服务对象满意度保持在较高水平。")
    lines.append(f"achieved: {year}年{project}按进度实施，主要产出和效益指标基本达到年初目标，资金执行率{dec(rate_of(executed, annual))}"
                 f"{'%' if rate_unit == 'percent' else ''}。")
    lines.append("indicators:")
    group_points = {"产出指标": 50 if funds_points == 10 else 40, "效益指标": 30, "满意度指标": 10}
    scores: list[Decimal] = []
    for level1, level2s in LEVEL2.items():
        points = group_points[level1]
        lines.append(f"  - level1: {level1}")
        if rng.random() < 0.7:
            lines.append(f"    points: {points}")
        lines.append("    groups:")
        chosen = level2s if level1 != "效益指标" or rng.random() < 0.4 else level2s[:1]
        if level1 == "产出指标":
            chosen = [g for g in chosen if g[0] != "成本指标" or rng.random() < 0.5]
        n_items = [rng.randint(1, min(2, len(items))) for _, items in chosen]
        item_points = split_min(points, [weight(rng, 0.3) for _ in range(sum(n_items))], 2)
        k = 0
        for (level2, items), n in zip(chosen, n_items, strict=True):
            mine = item_points[k:k + n]
            k += n
            lines.append(f"      - level2: {level2}")
            if rng.random() < 0.3:
                lines.append(f"        points: {sum(mine)}")
            lines.append("        items:")
            for (name, target), p in zip(rng.sample(items, n), mine, strict=True):
                target = target.format(n=rng.randint(20, 5000), m=rng.randint(2, 12))
                full = rng.random() < 0.8
                score = Decimal(p) if full else max(Decimal(0), Decimal(p) - Decimal(rng.choice([5, 10, 20])) / 10)
                scores.append(score)
                lines += [f"          - name: {name.format(p=project)}", f"            target: {q(target)}",
                          f"            actual: {q(target if full else '部分完成')}", f"            points: {p}",
                          f"            score: {dec(score)}"]
                if not full:
                    lines.append("            note: 受实施进度影响未全部完成，下一年度加强过程监控。")
    total = sum(scores, Decimal(0)) + funds_score
    lines.append(f"total_score: {dec(total)}")
    grade = grade_for(total)
    rng.random()  # drawn as before (it once left the 等级 out), so every later generated figure stays the same
    lines.append(f"grade: {grade}")  # leaving the 等级 out is a warning (perf.missing-grade) where the form has one
    lines.append(f"analysis: 项目资金执行率{dec(rate_of(executed, annual))}{'%' if rate_unit == 'percent' else ''}，自评得分{dec(total)}分。")
    return "\n".join(lines) + "\n", {"project": project, "grade": grade, "annual": annual, "total": total}


# ------------------------------------------------------------------------------------------------
# Markdown parts


def overview(unit: UnitPlan) -> str:
    dept = unit.dept
    units = {"admin": "行政机关", "civil": "参照公务员法管理的事业单位", "public": "公益一类事业单位"}
    sections = ["内设办公室", "财务审计科", "业务一科", "业务二科", "综合服务科", "信息统计科", "政策法规科"]
    n = 2 + unit.staff // 25
    return (
        "## 一、单位职责\n\n"
        f"{unit.name}是{unit.parent}{'本级机关' if unit.kind == 'admin' else '所属单位'}，在{unit.region}范围内承担{dept[6]}等工作，主要职责是：\n\n"
        f"- 贯彻执行国家和省有关{dept[6]}的法律法规和政策；\n"
        f"- 拟订并组织实施本地区{dept[6]}的发展规划和年度计划；\n"
        "- 承担相关资金的预算编制、执行和绩效管理；\n"
        f"- 完成{unit.parent}交办的其他任务。\n\n"
        "## 二、机构设置\n\n"
        f"本单位为{units[unit.kind]}，核定编制{unit.staff + 4}人，实有人员{unit.staff}人，设{min(n, len(sections))}个内设机构：\n\n"
        + "".join(f"- {s}\n" for s in sections[:min(n, len(sections))])
    )


def prose_literals(w: Writer, facts: dict) -> str:
    """Literal figures the prose check decides (issue 8): a 完成预算 rate and its direction word, and a
    share of a named base. Always consistent with the tables (the benchmark has no deliberate errors)."""
    u = w.amount_unit
    budget, final = facts["three_public"]["budget"]["total"], facts["three_public"]["final"]["total"]
    text = ""
    if budget:
        word = "高于" if final > budget else "低于" if final < budget else "等于"
        text += (f"\n“三公”经费财政拨款支出预算{shown(budget)}{u}，决算{shown(final)}{u}，完成预算的{pct(final, budget)}%，"
                 f"决算{word}预算。\n")
    basic, total = w.expenditure["total"]["basic"], w.expenditure["total"]["total"]
    if total:
        text += f"\n本年基本支出{shown(basic)}{u}，占本年支出合计的{pct(basic, total)}%。\n"
    return text


def reference_sentences(year: int, previous_in_portal: bool) -> str:
    """A few sentences whose figures are computed references ({{…}}, see docs/narrative.md): the
    build fills them in from the tables; with the unit's previous-year report in the content, also
    the change against it."""
    text = (f"\n\n{year}年度本年收入合计{{{{收入支出决算总表/收入/本年收入合计}}}}，本年支出合计{{{{支出决算表/合计/本年支出合计}}}}，"
            "其中基本支出{{支出决算表/合计/基本支出}}，占{{支出决算表/合计/基本支出 占 合计/本年支出合计}}。")
    if previous_in_portal:
        text += ("收入总计{{收入支出决算总表/收入/总计 比上年 增减}}{{收入支出决算总表/收入/总计 比上年 差额}}，"
                 "{{收入支出决算总表/收入/总计 比上年 升降}}{{收入支出决算总表/收入/总计 比上年 幅度}}。")
    return text


def explanation(w: Writer, facts: dict, previous: dict | None, attachments: list[dict]) -> str:
    u = w.amount_unit
    inc, exp, gen = w.income["total"], w.expenditure["total"], w.general["total"]
    fig = w.fig
    opening = sum(w.fiscal_by_fund[f]["o"] for f in ("gb", "gf", "sc")) + fig.nf_opening
    grand = inc["total"] + fig.nf_balance_used + opening
    year = w.year
    out = [f"## 一、收入支出决算总体情况说明\n\n{year}年度本单位收入总计与支出总计均为{shown(grand)}{u}。"]
    if previous:
        change = grand - previous["grand"]
        word = "增加" if change >= 0 else "减少"
        out[-1] += f"与上年相比{word}{shown(abs(change))}{u}，{'增长' if change >= 0 else '下降'}{pct(abs(change), previous['grand'])}%，主要是业务量变化和人员经费调整。"
    out.append(reference_sentences(year, previous is not None))
    out.append(f"\n\n## 二、收入决算情况说明\n\n{year}年度收入合计{shown(inc['total'])}{u}，构成如下：\n\n")
    for label, value in (("财政拨款收入", inc["fiscal"]), ("上级补助收入", inc["superior"]), ("事业收入", inc["business"]),
                         ("经营收入", inc["operating"]), ("附属单位上缴收入", inc["affiliated"]), ("其他收入", inc["other"])):
        out.append(f"- {label}{shown(value)}{u}，占{pct(value, inc['total'])}%；\n")
    out.append(f"\n## 三、支出决算情况说明\n\n{year}年度支出合计{shown(exp['total'])}{u}，构成如下：\n\n")
    for label, key in (("基本支出", "basic"), ("项目支出", "project"), ("上缴上级支出", "to_superior"), ("经营支出", "operating"),
                       ("对附属单位补助支出", "to_affiliated")):
        out.append(f"- {label}{shown(exp[key])}{u}，占{pct(exp[key], exp['total'])}%；\n")
    funds = w.fiscal_by_fund
    fiscal_grand = sum(funds[f]["i"] + funds[f]["o"] for f in ("gb", "gf", "sc"))
    out.append(f"\n## 四、财政拨款收支决算总体情况说明\n\n{year}年度财政拨款收入总计、支出总计均为{shown(fiscal_grand)}{u}。\n")
    out.append(f"\n## 五、一般公共预算财政拨款支出决算情况说明\n\n{year}年度一般公共预算财政拨款支出{shown(gen['total'])}{u}，"
               f"占本年支出合计的{pct(gen['total'], exp['total'])}%，按功能分类分布如下：\n\n")
    for klass in fig.structure:
        value = w.general[klass].get("total", 0)
        if value:
            out.append(f"- {w.std.class_names[klass]}（类）{shown(value)}{u}，占{pct(value, gen['total'])}%；\n")
    detail = facts["detail"]
    out.append(f"\n## 六、一般公共预算财政拨款基本支出决算情况说明\n\n{year}年度财政拨款基本支出{shown(gen['basic'])}{u}，"
               f"其中人员经费{shown(detail['personnel_total'])}{u}，公用经费{shown(detail['public_total'])}{u}。\n")
    fund = w.fund["total"].get("total", 0)
    out.append("\n## 七、政府性基金预算财政拨款收支决算情况说明\n\n" + (
        f"{year}年度政府性基金预算财政拨款支出{shown(fund)}{u}。\n" if fund else "本单位本年度没有政府性基金预算财政拨款收支。\n"))
    capital = w.capital["total"].get("total", 0)
    out.append("\n## 八、国有资本经营预算财政拨款支出决算情况说明\n\n" + (
        f"{year}年度国有资本经营预算财政拨款支出{shown(capital)}{u}。\n" if capital else "本单位本年度没有国有资本经营预算财政拨款支出。\n"))
    tp = facts["three_public"]
    b, f = tp["budget"], tp["final"]
    out.append(f"\n## 九、财政拨款“三公”经费支出决算情况说明\n\n{year}年度“三公”经费财政拨款全年预算{shown(b['total'])}{u}，"
               f"决算支出{shown(f['total'])}{u}。其中因公出国（境）费{shown(f['abroad'])}{u}，公务用车购置费{shown(f['vehicle_purchase'])}{u}，"
               f"公务用车运行维护费{shown(f['vehicle_operation'])}{u}，公务接待费{shown(f['reception'])}{u}。\n")
    out.append(prose_literals(w, facts))
    out.append("\n## 十、其他重要事项情况说明\n\n")
    if w.unit.kind != "public":
        out.append(f"### （一）机关运行经费支出情况说明\n\n{year}年度机关运行经费支出{shown(detail['public_total'])}{u}。\n\n")
    related = facts.get("related")
    if related:
        out.append(f"### 政府采购情况说明\n\n{year}年度政府采购支出共{shown(related['procurement'])}{u}，其中货物{shown(related['goods'])}{u}，"
                   f"工程{shown(related['works'])}{u}，服务{shown(related['services'])}{u}。\n\n"
                   f"### 国有资产占用情况说明\n\n截至{year}年12月31日，本单位共有车辆{related['vehicles']}辆，"
                   f"单价100万元（含）以上设备{related['equipment']}台（套）。\n\n")
    grades = {g: sum(1 for a in attachments if a["grade"] == g) for g in ("优", "良", "中", "差")}
    if attachments:
        summary = "，".join(f"{n}个项目为“{g}”" for g, n in grades.items() if n)
        out.append(f"### 预算绩效情况说明\n\n本单位对{len(attachments)}个项目开展了绩效自评，涉及资金"
                   f"{shown(sum(a['annual'] for a in attachments))}{u}，自评结果：{summary}。\n")
    else:
        out.append("### 预算绩效情况说明\n\n本年度本单位未单独公开项目支出绩效自评表。\n")
    return "".join(out)


# ------------------------------------------------------------------------------------------------

GLOSSARY = [
    ("财政拨款收入", "单位本年度从同级财政部门取得的财政预算资金，包括一般公共预算、政府性基金预算和国有资本经营预算财政拨款。", []),
    ("事业收入", "事业单位开展专业业务活动及其辅助活动取得的收入。", []),
    ("经营收入", "事业单位在专业业务活动及其辅助活动之外开展非独立核算经营活动取得的收入。", []),
    ("其他收入", "单位取得的除上述各项以外的收入，如存款利息收入、非独立核算单位的零星收入等。", []),
    ("使用非财政拨款结余", "事业单位使用以前年度积累的非财政拨款结余弥补当年收支差额的金额。", ["使用非财政拨款结余和专用结余"]),
    ("年初结转和结余", "以前年度尚未完成、结转到本年按有关规定继续使用的资金，以及项目完成后形成的结余资金。", []),
    ("结余分配", "事业单位按规定缴纳的所得税、提取的专用结余以及转入非财政拨款结余的金额。", []),
    ("年末结转和结余", "本年度或以前年度预算安排、结转到以后年度按有关规定继续使用的资金，以及项目完成后形成的结余资金。", []),
    ("基本支出", "为保障机构正常运转、完成日常工作任务而发生的人员经费和公用经费。", []),
    ("项目支出", "在基本支出之外为完成特定行政任务或事业发展目标所发生的支出。", []),
    ("经营支出", "事业单位在专业业务活动及其辅助活动之外开展非独立核算经营活动发生的支出。", []),
    ("“三公”经费", "用财政拨款安排的因公出国（境）费、公务用车购置及运行维护费和公务接待费。", ["三公经费"]),
    ("机关运行经费", "行政单位和参照公务员法管理的事业单位使用一般公共预算财政拨款安排的基本支出中的公用经费。", []),
]


def glossary_yaml() -> str:
    lines = ["# 全站名词解释（基准测试生成数据）", "terms:"]
    for term, definition, aliases in GLOSSARY:
        lines += [f"  - term: {term}", f"    definition: {definition}"]
        if aliases:
            lines.append(f"    aliases: [{', '.join(aliases)}]")
    return "\n".join(lines) + "\n"


def generate(reports: int, out: Path, seed: int = 1, force: bool = False) -> int:
    """Write the content folder; returns the number of reports written."""
    std = Standards.read()
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists() and not force:
            raise SystemExit(f"generate: {out} is not empty and was not written by bench/generate.py; use --force")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[Path, str] = {}
    files[out / MARKER] = f"written by bench/generate.py --reports {reports} --seed {seed}\n"
    files[out / "site.yaml"] = ("title: 部门决算公开平台（基准测试）\n"
                                "description: 由 bench/generate.py 生成的部门决算公开报告，用于测量检查和构建的速度。\n")
    files[out / "glossary.yaml"] = glossary_yaml()
    written = 0
    for unit in plan_units(std, reports, str(seed)):
        folder = out / unit.slug
        files[folder / "unit.yaml"] = (
            f"name: {unit.name}\ncode: {q(unit.code)}\nparent: {unit.parent}\nregion: {unit.region}\nlevel: {unit.level}\n"
            f"description: {unit.place}{unit.parent.removeprefix(unit.place)}所属{KIND_LABEL[unit.kind]}，负责{unit.dept[6]}相关工作。\n"
        )
        previous = None
        scale = unit.scale
        for year in unit.years:
            rng = random.Random(f"{seed}:report:{unit.slug}:{year}")
            scale = scale + take(scale, frac(rng, -0.08, 0.18))
            target = scale
            fig = make_figures(unit, year, rng, target)
            w = Writer(std, unit, year, fig, rng)
            facts = w.tables()
            year_dir = folder / str(year)
            template, amount_unit, _ = PROVINCES[unit.province]
            files[year_dir / "report.yaml"] = (
                f"template: {template}\namount_unit: {amount_unit}\ntitle: {unit.name}{year}年度部门决算公开\n"
                "source: bench/generate.py 生成的基准测试数据，数字内部一致，不是真实公开文件。\nacknowledged: []\n"
            )
            files[year_dir / "overview.md"] = overview(unit)
            project_total = w.general["total"].get("project", 0)
            n_att = rng.randint(0, 3) if project_total >= 1000 else 0
            pool = PROJECTS.get(unit.dept[3], []) + GENERIC_PROJECTS
            attachments = []
            for k, project in enumerate(rng.sample(pool, n_att)):
                annual = take(project_total, frac(rng, 0.05, 0.3))
                text, info = attachment(unit, year, rng, project, annual, amount_unit)
                files[year_dir / "attachments" / f"project-{k + 1:02d}.yaml"] = text
                attachments.append(info)
            files[year_dir / "explanation.md"] = explanation(w, facts, previous, attachments)
            for name, text in w.files.items():
                files[year_dir / name] = text
            opening = sum(w.fiscal_by_fund[f]["o"] for f in ("gb", "gf", "sc")) + fig.nf_opening
            previous = {"grand": w.income["total"]["total"] + fig.nf_balance_used + opening}
            written += 1
    made: set[Path] = set()
    for path in sorted(files):
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(files[path])
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=30, help="number of reports (unit × year) to write")
    parser.add_argument("--out", type=Path, required=True, help="content folder to write (replaced if generated before)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="replace a non-empty folder not written by this script")
    args = parser.parse_args(argv)
    if args.reports < 1:
        parser.error("--reports must be at least 1")
    n = generate(args.reports, args.out, args.seed, args.force)
    print(f"wrote {n} reports into {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
