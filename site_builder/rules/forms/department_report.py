"""The 部门整体支出绩效评价报告 names the 部门整体支出绩效自评表 it reports on (its figures are then read
against that form by ``rules/prose_check``); a name that is no such form is a finding."""

from __future__ import annotations

from site_builder.findings import Finding, Place
from site_builder.model import Attachment, Report


def form_of(report: Report, attachment: Attachment) -> Attachment | None:
    """The department form the report's ``form:`` names, if there is one."""
    slug = attachment.data.get("form")
    return next((a for a in report.attachments if a.slug == slug and a.data.get("kind") == "department_performance"), None)


def _line_of(attachment: Attachment, key: str) -> Place:
    for number, line in enumerate(attachment.source.split("\n"), start=1):
        if line.startswith(f"{key}:"):
            return Place(attachment.path, number, len(key) + 3)
    return Place(attachment.path)


def check(report: Report, attachment: Attachment) -> list[Finding]:
    if form_of(report, attachment) is not None:
        return []
    forms = [a.slug for a in report.attachments if a.data.get("kind") == "department_performance"]
    hint = f"（本报告的部门整体支出绩效自评表：{'、'.join(forms)}）" if forms else "（本报告没有部门整体支出绩效自评表）"
    return [Finding("perf.report-form", f"评价报告所称自评表“{attachment.data.get('form')}”不是本报告的部门整体支出绩效自评表{hint}",
                    _line_of(attachment, "form"), subject=f"{attachment.slug}:form", figures=(str(attachment.data.get("form")),),
                    report=report.rel, table=f"attachments/{attachment.slug}.yaml")]
