"""The annual report out of memory: the three documents in every format, and the figures as CSV and XLSX.

Nothing is written here; `render_report` returns what `output.write_case` writes. A document that
leaves the team is scanned for every source case's internal values before it is returned.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import DataError, Problem
from ..formatting import decimal as decimal  # the figures' text, also in the CSV files
from ..status import NoProgress, Progress
from ..templates import DocumentTemplate, find_template, select_version
from .context import report_context, summary_context
from .figures import FIGURES, Report
from .inputs import CaseInput

REPORT_ID = "samlad-aterrapportering"
TEAM_ID = "arssummering-team"
DEPARTMENT_ID = "arssummering-avdelning"


# --- figures as CSV and XLSX ---------------------------------------------------------------------


def _cell(value: Any) -> Any:
    return "" if value is None else value


def figure_tables(report: Report) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The report's figures as tables (name -> header, rows), the same numbers the documents show."""
    labels = [label for _, label in FIGURES]
    areas_rows: list[list[Any]] = []
    for b in report.boards:
        for area in b.areas:
            areas_rows.append([b.name, area.name, *(_cell(getattr(area, name)) for name, _ in FIGURES)])
        areas_rows.append([b.name, "Totalt", *(_cell(getattr(b.total, name)) for name, _ in FIGURES)])
    if len(report.boards) > 1:
        areas_rows.append(["Samtliga", "Totalt", *(_cell(getattr(report.total, name)) for name, _ in FIGURES)])
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {
        "avtalsomraden": (["Nämnd eller styrelse", "Avtalsområde", *labels], areas_rows),
        "eskaleringssteg": (
            ["Steg", "Benämning", *(b.name for b in report.boards), "Totalt"],
            [[row["steg"], row["text"], *(row["namnder"][b.id] for b in report.boards), row["totalt"]] for row in report.steps],
        ),
    }
    if report.series:
        rows = [
            [s.indicator, s.unit, p, period, _cell(s.value(p, period))]
            for s in report.series
            for p in s.providers
            for period in s.periods
            if s.value(p, period) is not None
        ]
        tables["nyckeltal"] = (["Indikator", "Enhet", "Vårdgivare", "Period", "Värde"], rows)
    return tables


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and their fullwidth forms


def as_text(value: Any) -> Any:
    """A text from the inputs as a spreadsheet's cell text, never a formula (OWASP CSV injection):
    one starting with = + - @, a tab or a carriage return gets a leading apostrophe. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what Excel in Swedish opens without an import dialogue."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([as_text(v) for v in header])
    for row in rows:
        writer.writerow([decimal(v) if isinstance(v, float) else as_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


SHEET_NAMES = {"avtalsomraden": "Avtalsområden", "eskaleringssteg": "Eskaleringssteg", "nyckeltal": "Nyckeltal"}


def to_xlsx(tables: dict[str, tuple[list[str], list[list[Any]]]], report: Report, title: str, author: str) -> bytes:
    """One sheet per table, a bold frozen header row, numbers as numbers; reproducible bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ..render import normalize_zip

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (header, rows) in tables.items():
        sheet = workbook.create_sheet(SHEET_NAMES.get(name, name))
        for values in ([*header], *rows):
            sheet.append([round(v, 1) if isinstance(v, float) else v for v in values])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl stores a text starting with = as a formula; this one is text
                    if cell.value.startswith(FORMULA_START):
                        cell.quotePrefix = True  # and stays text when someone edits the cell in Excel
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(zip(header, *rows, strict=True), start=1):
            width = min(60, max(len(str(v)) for v in column) + 2)
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    moment = dt.datetime.combine(report.date, dt.time(0, 0))
    props = workbook.properties
    props.title, props.creator, props.lastModifiedBy = title, author, author
    props.created = props.modified = moment
    props.language = "sv-SE"
    props.keywords = report.diarienummer
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode("utf-8")
    stamp = f"{report.date.isoformat()}T00:00:00Z"  # openpyxl stamps `modified` with the clock on save
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", core)
    styles = _font_elements_in_schema_order(zipfile.ZipFile(io.BytesIO(data)).read("xl/styles.xml"))
    return normalize_zip(data, {"docProps/core.xml": core.encode("utf-8"), "xl/styles.xml": styles})


# CT_Font's children in the order of the schema Excel and the Open XML SDK check against.
FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color", "name",
              "family", "charset", "scheme")


def _font_elements_in_schema_order(styles: bytes) -> bytes:
    """openpyxl writes a font's name, family and colour before its size: Excel reads that, the schema
    does not allow it. The same elements, in schema order."""
    from lxml import etree

    root = etree.fromstring(styles)
    main = root.nsmap.get(None, "")
    for font in root.iter(f"{{{main}}}font"):
        children = sorted(font, key=lambda e: FONT_ORDER.index(etree.QName(e).localname))
        font[:] = children
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data



# --- rendering: the three documents and the figure files -------------------------------------------


@dataclass
class Built:
    """What `mallgen report` writes (not yet written), and the warnings to show."""

    folder_case: Any  # a pipeline.Case standing for the report, so output.write_case can write it
    rendered: list[Any]
    warnings: list[Problem]
    report: Report


def _meta(report: Report, template: Any, subject: str, date: dt.date) -> Any:
    from ..render import DocumentMeta

    return DocumentMeta.of(template, report.inputs.profile, case_title=subject, case_id=f"rapport-{report.year}",
                           diarienummer=report.diarienummer, date=date, data_hash=report.data_hash)


def render_formats(
    template: Any,
    body: str,
    meta: Any,
    formats: tuple[str, ...],
    dirs: tuple[Path, ...],
    charts: dict[str, Any],
    output_id: str | None = None,
    cases: list[CaseInput] | None = None,
) -> list[Any]:
    """One document's Markdown body in every requested format, charts resolved per format.

    A document that leaves the team is scanned for the internal values of every case it was
    compiled from (`cases`); a hit stops the report before anything is written.
    """
    from ..pipeline import Rendered
    from ..render import body_size_problem, to_formats

    document = replace(template, id=output_id) if output_id else template
    if (too_long := body_size_problem(body, document)) is not None:
        raise DataError([Problem(str(template.path), 0, "", too_long)])
    outputs = to_formats(body, meta, formats, dirs, charts)
    if not template.internal and cases:
        _scan_leaks(template, {extension: text for extension, _, text in outputs}, cases, meta.organisation)
    return [Rendered(document, extension, content) for extension, content, _ in outputs]


def _scan_leaks(template: Any, texts: dict[str, str], cases: list[CaseInput], profile: dict[str, Any]) -> None:
    from .. import leaks
    from ..pipeline import Case

    canon = {extension: leaks.canonical(text) for extension, text in texts.items()}
    problems: list[Problem] = []
    for index, item in enumerate(cases):
        case = Case(item.source, item.data, {}, profile, [], "", [])
        problems += leaks.scan(case, template, texts, canon, personnummer=index == 0)
    if problems:
        raise DataError(sorted(set(problems)))


def _version(doc_id: str, dirs: tuple[Path, ...], date: dt.date, warnings: list[Problem]) -> DocumentTemplate:
    """The version of a report template valid on the document's date (the current one, with a warning, when none is)."""
    template, warning = select_version(find_template(doc_id, dirs), date)
    if warning:
        warnings.append(Problem(str(template.path), 0, "", warning, warning=True))
    return template


def render_report(report: Report, formats: tuple[str, ...], dirs: tuple[Path, ...], warnings: list[Problem] | None = None,
                  progress: Progress | None = None) -> list[Any]:
    """The collated report, the team and department summaries, and the figure files, in memory.

    `warnings` collects a note for each document rendered with a template version not valid on its date."""
    from ..charts import report_charts
    from ..pipeline import Rendered
    from ..render import render_markdown

    progress = progress or NoProgress()
    profile = report.inputs.profile
    region = profile["region"]
    out: list[Any] = []
    notes = warnings if warnings is not None else []
    progress.start("Skapar dokument", 1 + (len(report.summaries) + 1 if report.summaries else 0))

    template = _version(REPORT_ID, dirs, report.date, notes)
    charts, alt = report_charts(report)
    context = {"rapport": report_context(report, template.internal), "org": profile, "mall": template.as_context(), "diagram": alt}
    body = render_markdown(template, context, dirs)
    meta = _meta(report, template, f"{region} {report.year}", report.date)
    out += render_formats(template, body, meta, formats, dirs, charts, cases=report.inputs.cases)
    progress.advance()

    tables = figure_tables(report)
    for name, (header, rows) in tables.items():
        out.append(Rendered(replace(template, id=f"{REPORT_ID}-{name}"), "csv", to_csv(header, rows)))
    out.append(Rendered(template, "xlsx", to_xlsx(tables, report, meta.full_title, meta.author)))

    if report.summaries:
        for summary in report.summaries:
            team_template = _version(TEAM_ID, dirs, summary.data["datum"], notes)
            context = {"rapport": report_context(report, team_template.internal), "team": summary_context(summary),
                       "org": profile, "mall": team_template.as_context()}
            body = render_markdown(team_template, context, dirs)
            meta = _meta(report, team_template, f"{summary.team} {report.year}", summary.data["datum"])
            out += render_formats(team_template, body, meta, formats, dirs, {}, f"{TEAM_ID}-{summary.slug}")
            progress.advance()
        date = report.department.get("datum") or max(s.data["datum"] for s in report.summaries)
        department_template = _version(DEPARTMENT_ID, dirs, date, notes)
        context = {
            "rapport": report_context(report, department_template.internal),
            "org": profile,
            "mall": department_template.as_context(),
            "avdelning": report.department,
        }
        body = render_markdown(department_template, context, dirs)
        meta = _meta(report, department_template, f"{profile['avdelning']} {report.year}", date)
        out += render_formats(department_template, body, meta, formats, dirs, {})
        progress.advance()
    progress.finish()
    return out

