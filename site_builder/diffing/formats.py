"""A diff as text for the terminal, Markdown for a pull-request comment, or JSON."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from site_builder.diffing import DiffResult
from site_builder.diffing.compare import FigureChange, FindingChange, ReportDiff

BLANK = "(blank)"


def amount(value: Decimal | None) -> str:
    return BLANK if value is None else f"{value:,}"


def difference(change: FigureChange) -> str:
    if change.difference is not None:
        return f"{change.difference:+,}"
    if (change.old is None and change.new == 0) or (change.new is None and change.old == 0):
        return "blank ↔ 0.00"
    return "now blank" if change.new is None else "was blank"


def cell_name(change: FigureChange) -> str:
    return " · ".join(part for part in (change.table, change.row, change.column) if part)


def headline(result: DiffResult) -> str:
    return f"{_revision(result.old_label, result.old_commit)} → {_revision(result.new_label, result.new_commit)}"


def _revision(label: str, commit: str) -> str:
    """``main (1a2b3c4d5e)``; a label that is the commit id itself is shown once, short."""
    if not commit:
        return label
    return commit[:10] if commit.startswith(label.lower()) and len(label) >= 7 else f"{label} ({commit[:10]})"


def totals(result: DiffResult) -> str:
    introduced = sum(r.count("introduced", "error") for r in result.reports)
    checked = f", {result.unchanged_checked} unchanged after checking" if result.unchanged_checked else ""
    return (f"{len(result.reports)} report(s) changed, {result.unchanged} unchanged (not loaded){checked}; "
            f"{introduced} error(s) introduced")


# -- text ---------------------------------------------------------------------------------------------


def text(result: DiffResult) -> str:
    lines = [f"diff {headline(result)}"]
    lines += _unit_lines(result, lambda s: s)
    for report in result.reports:
        lines.append("")
        lines += _report_text(report)
    lines += ["", totals(result)]
    return "\n".join(lines) + "\n"


def _unit_lines(result: DiffResult, quote: Any) -> list[str]:
    lines = [f"unit renamed: {quote(old)} → {quote(new)}" for old, new in result.units_renamed]
    lines += [f"unit added: {quote(u)}" for u in result.units_added]
    lines += [f"unit removed: {quote(u)}" for u in result.units_removed]
    return lines


def _report_text(report: ReportDiff) -> list[str]:
    unit = f"（{report.amount_unit}）" if report.amount_unit else ""
    lines = [f"{report.rel} {report.title}{unit}", f"  summary: {report.summary()}"]
    for change in report.figures:
        lines.append(f"  figure {cell_name(change)}: {amount(change.old)} → {amount(change.new)} ({difference(change)})")
    for row in report.rows:
        figures = ", ".join(f"{title or '金额'} {value:,}" for title, value in row.figures)
        lines.append(f"  row {'added' if row.added else 'removed'} {row.table} · {row.row}" + (f": {figures}" if figures else ""))
    lines += [f"  table added {title}" for title in report.tables_added]
    lines += [f"  table removed {title}" for title in report.tables_removed]
    for finding in report.findings:
        if _listed(finding):
            lines.append(f"  {finding.status} {finding.severity} [{finding.rule}] {finding.message} ({finding.place})")
    counted = _counted(report)
    if counted:
        lines.append(f"  findings not listed: {counted}")
    for ack in report.acknowledgements:
        lines.append(f"  acknowledgement {'added' if ack.added else 'removed'} [{ack.rule}] {ack.subject} "
                     f"{list(ack.figures)}: {ack.reason}")
    for date, what, why in report.corrections:
        lines.append(f"  correction entry added {date}: {what} — {why}")
    for sentence in report.sentences:
        change = (f"added “{sentence.new}”" if not sentence.old else f"removed “{sentence.old}”" if not sentence.new
                  else f"“{sentence.old}” → “{sentence.new}”")
        lines.append(f"  prose {sentence.file}: {change}{_figure_note(sentence.figures_old, sentence.figures_new)}")
    for item in report.fields:
        lines.append(f"  form {item.attachment} {item.field}: {item.old or BLANK} → {item.new or BLANK}")
    return lines


def _listed(finding: FindingChange) -> bool:
    """Errors and warnings that changed, and standing errors; the rest is counted. Acknowledged
    findings are told by the acknowledgement lines."""
    return finding.severity in ("error", "warning") and (finding.status != "standing" or finding.severity == "error")


def _counted(report: ReportDiff) -> str:
    counts = Counter((f.severity, f.status) for f in report.findings if not _listed(f))
    return ", ".join(f"{count} {severity} {status}" for (severity, status), count in sorted(counts.items()))


def _figure_note(old: tuple[str, ...], new: tuple[str, ...]) -> str:
    if not old and not new:
        return ""
    return f" (figures {', '.join(old) or '—'} → {', '.join(new) or '—'})"


# -- Markdown -----------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # inline structure; no text of ours starts a line



def md(text: str) -> str:
    """Content text made inert in Markdown (and in the HTML a forge renders it to)."""
    flat = " ".join(text.split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def markdown(result: DiffResult) -> str:
    lines = [f"### site-builder diff: {md(headline(result))}", ""]
    unit_lines = _unit_lines(result, lambda s: f"`{s}`")
    lines += [f"- {line}" for line in unit_lines] + ([""] if unit_lines else [])
    for report in result.reports:
        lines += _report_markdown(report)
    lines.append(f"**{md(totals(result))}**")
    return "\n".join(lines) + "\n"


def _report_markdown(report: ReportDiff) -> list[str]:
    unit = f"（{md(report.amount_unit)}）" if report.amount_unit else ""
    mark = "❌" if report.introduces_errors else "✅"
    lines = [f"#### {mark} `{report.rel}` {md(report.title)}{unit}", "", md(report.summary()), ""]
    if report.figures:
        lines += ["| 表 | 行 | 栏 | 原数 | 新数 | 差额 |", "|---|---|---|--:|--:|--:|"]
        lines += [f"| {md(c.table)} | {md(c.row)} | {md(c.column)} | {md(amount(c.old))} | {md(amount(c.new))} | {md(difference(c))} |"
                  for c in report.figures]
        lines.append("")
    items = [f"row {'added' if r.added else 'removed'}: {md(r.table)} · {md(r.row)}" for r in report.rows]
    items += [f"table added: {md(t)}" for t in report.tables_added] + [f"table removed: {md(t)}" for t in report.tables_removed]
    items += [f"{f.status} {f.severity} `{f.rule}`: {md(f.message)}" for f in report.findings if _listed(f)]
    items += [f"findings not listed: {_counted(report)}"] if _counted(report) else []
    items += [f"acknowledgement {'added' if a.added else 'removed'} `{a.rule}` {md(a.subject)}: {md(a.reason)}"
              for a in report.acknowledgements]
    items += [f"correction entry added {md(d)}: {md(w)} — {md(y)}" for d, w, y in report.corrections]
    items += [f"{md(s.file)}: “{md(s.old)}” → “{md(s.new)}”{_md_note(s.figures_old, s.figures_new)}" for s in report.sentences]
    items += [f"form {md(f.attachment)} {md(f.field)}: {md(f.old or BLANK)} → {md(f.new or BLANK)}" for f in report.fields]
    lines += [f"- {item}" for item in items] + ([""] if items else [])
    return lines


def _md_note(old: tuple[str, ...], new: tuple[str, ...]) -> str:
    note = _figure_note(old, new)
    return " " + md(note) if note else ""


# -- JSON ---------------------------------------------------------------------------------------------


def as_data(result: DiffResult) -> dict[str, Any]:
    data = asdict(result)
    data["introduces_errors"] = result.introduces_errors
    for report, source in zip(data["reports"], result.reports, strict=True):
        report["summary"] = source.summary()
        report["introduces_errors"] = source.introduces_errors
        for figure, change in zip(report["figures"], source.figures, strict=True):
            figure["difference"] = change.difference
    return data


def to_json(result: DiffResult) -> str:
    return json.dumps(as_data(result), ensure_ascii=False, indent=2, default=_decimal) + "\n"


def _decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)
