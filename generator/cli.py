"""The command line: parses arguments, calls the library, maps errors to messages and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import DataError, MallgenError, Problem

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _report_kept(report: Any) -> None:
    """Say which hand-edited documents were left alone, and which were backed up under --force."""
    for path in report.kept:
        why = ("finns redan men saknas i manifest.json (skapad utanför mallgen, eller manifestet har tagits bort)"
               if path in report.unrecorded else "har redigerats för hand")
        click.echo(f"{path}: {why} och skrevs inte över. Använd --force för att ersätta den (en daterad kopia sparas).", err=True)
    for path in report.backups:
        click.echo(f"{path}: sparad kopia av det handredigerade dokumentet.", err=True)


def _handle(command: Callable[..., Any]) -> Callable[..., Any]:
    """Every MallgenError becomes its Swedish message and exit status; nothing else leaks out."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DataError as exc:
            for failure in exc.failures:
                click.echo(failure, err=True)
            _report(exc.problems)
            errors = sum(1 for p in exc.problems if not p.warning) + len(exc.failures)
            click.echo(f"{errors} fel hittades. Rätta {'det' if errors == 1 else 'dem'} och kör kommandot igen.", err=True)
            sys.exit(exc.exit_code)
        except MallgenError as exc:
            click.echo(f"Fel: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Avbrutet.", err=True)
            sys.exit(130)

    return wrapper


def _options(documents: tuple[str, ...], templates: Path | None, organisation: Path | None, formats: str | None = None) -> Any:
    from .pipeline import Options, parse_formats

    return Options(documents=list(documents), formats=parse_formats(formats), templates=templates, organisation=organisation)


_case_files = click.argument("arenden", metavar="ÄRENDE.yaml...", nargs=-1, required=True, type=click.Path(path_type=Path))
_documents = click.option("-d", "--dokument", "documents", multiple=True, metavar="DOKUMENT",
                          help="Bara detta dokument (kan upprepas). Se 'mallgen documents'.")
_templates = click.option("--mallar", "templates", type=click.Path(path_type=Path), help="Egen mallmapp som söks före de inbyggda mallarna.")
_organisation = click.option("--organisation", "organisation", type=click.Path(path_type=Path),
                             help="Organisationsprofil (annars organisation.yaml bredvid ärendet).")


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="mallgen", message="%(prog)s %(version)s")
def main() -> None:
    """mallgen – dokument för avtalsuppföljning av hälso- och sjukvård.

    Håll ärendets uppgifter i en YAML-fil, kontrollera dem med 'mallgen validate'
    och skapa handbokens dokument med 'mallgen render' (DOCX, PDF/A, HTML, Markdown).

    \b
    Exempel:
      mallgen new fordjupad -o arende.yaml
      mallgen validate arende.yaml
      mallgen render arende.yaml -d kallelse-dialogmote -f pdf,docx
    """


@main.command("validate", context_settings=CONTEXT)
@_case_files
@_documents
@_templates
@_organisation
@_handle
def validate_command(arenden: tuple[Path, ...], documents: tuple[str, ...], templates: Path | None, organisation: Path | None) -> None:
    """Kontrollera ärendefiler mot schemat och handbokens regler.

    Alla fel rapporteras på en gång som FIL:RAD: fält: meddelande.
    Med -d kontrolleras att ärendet har allt som just det dokumentet kräver.

    \b
    Exempel:
      mallgen validate arende.yaml
      mallgen validate arende.yaml -d kallelse-dialogmote
    """
    from .pipeline import validate_files

    cases, warnings = validate_files(list(arenden), _options(documents, templates, organisation))
    _report(warnings)
    for case in cases:
        names = ", ".join(d.id for d in case.documents)
        click.echo(f"{case.source.name}: giltigt ({len(case.documents)} dokument: {names})")


@main.command("render", context_settings=CONTEXT)
@_case_files
@_documents
@click.option("-f", "--format", "formats", metavar="FORMAT", help="Kommaseparerat: pdf,docx,html,md (standard: alla).")
@click.option("-o", "--ut", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True, help="Mapp för dokumenten.")
@_templates
@_organisation
@click.option("--force", is_flag=True, help="Skriv över dokument som redigerats för hand (de sparas först som daterad kopia).")
@_handle
def render_command(arenden: tuple[Path, ...], documents: tuple[str, ...], formats: str | None, out_dir: Path,
                   templates: Path | None, organisation: Path | None, force: bool) -> None:
    """Skapa dokumenten för ett eller flera ärenden.

    Utan -d skapas varje dokument som ärendet har uppgifter för; utan -f alla format.
    Dokumenten hamnar i MAPP/<ärende-id>/<dokument-id>.<format>, med en manifest.json.
    Ett dokument som redigerats för hand skrivs inte över utan --force.

    \b
    Exempel:
      mallgen render arende.yaml
      mallgen render arende.yaml -d kallelse-dialogmote -f pdf,docx -o utskick
    """
    from .output import write_case
    from .pipeline import render_document, validate_files

    options = _options(documents, templates, organisation, formats)
    cases, warnings = validate_files(list(arenden), options)
    _report(warnings)
    kept = 0
    for case in cases:
        rendered = [item for document in case.documents for item in render_document(case, document, options.formats, options.dirs)]
        report = write_case(case, rendered, out_dir, force=force)
        _report_kept(report)
        kept += len(report.kept)
        click.echo(f"{case.id}: {len(report.written)} filer skrivna, {len(report.unchanged)} oförändrade i {report.folder}")
    if kept:
        sys.exit(1)


@main.command("documents", context_settings=CONTEXT)
@_templates
@_handle
def documents_command(templates: Path | None) -> None:
    """Lista dokumentkatalogen: id, titel, avsnitt i handboken, målgrupp och mallversion.

    \b
    Exempel:
      mallgen documents
      mallgen documents --mallar egna-mallar
    """
    from .templates import AUDIENCES, catalogue, template_dirs

    templates_found = catalogue(tuple(template_dirs(templates))).values()
    rows = [(t.id, f"{t.title} (sekretessbelagd bilaga till {t.parent})" if t.parent else t.title, t.section,
             AUDIENCES[t.audience], f"{t.version} ({t.valid_from.isoformat()})") for t in templates_found]
    headers = ("Id", "Titel", "Avsnitt", "Målgrupp", "Version (giltig från)")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip())


@main.command("new", context_settings=CONTEXT)
@click.argument("typ", metavar="TYP", type=click.Choice(["fordjupad"], case_sensitive=False))
@click.option("-o", "--ut", "out_file", type=click.Path(path_type=Path), help="Fil att skriva (annars skrivs mallen ut).")
@_handle
def new_command(typ: str, out_file: Path | None) -> None:
    """Skapa en kommenterad ärendefil att fylla i.

    \b
    Exempel:
      mallgen new fordjupad -o arende.yaml
    """
    from .skeleton import skeleton, write_skeleton

    if out_file is None:
        click.echo(skeleton(typ), nl=False)
        return
    write_skeleton(typ, out_file)
    click.echo(f"Skrev {out_file}. Fyll i uppgifterna och kontrollera med: mallgen validate {out_file}")


@main.command("report", context_settings=CONTEXT)
@click.option("--year", "--ar", "year", type=int, required=True, metavar="ÅÅÅÅ", help="Året som rapporten gäller.")
@click.argument("inputs", metavar="INDATA...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-f", "--format", "formats", metavar="FORMAT",
              help="Kommaseparerat: pdf,docx,html,md (standard: alla). Siffrorna skrivs alltid som CSV och XLSX.")
@click.option("-o", "--ut", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True, help="Mapp för rapporten.")
@_templates
@_organisation
@click.option("--kontrollera", "check_only", is_flag=True, help="Kontrollera bara indata och siffror; skriv inga filer.")
@click.option("--force", is_flag=True, help="Skriv över dokument som redigerats för hand (de sparas först som daterad kopia).")
@_handle
def report_command(year: int, inputs: tuple[Path, ...], formats: str | None, out_dir: Path, templates: Path | None,
                   organisation: Path | None, check_only: bool, force: bool) -> None:
    """Sammanställ den samlade återrapporteringen till uppdragsgivare för ett år.

    INDATA är ärendefiler (löpande och fördjupade), teamunderlag (ett per team och
    avtalsområde), en rapportfil, avtalsregister och nyckeltal (CSV eller XLSX), eller
    mappar med sådana filer. Antal uppföljda avtal, åtgärder och handlingsplaner räknas
    fram ur ärendefilerna; en siffra i ett teamunderlag som inte stämmer ger en varning.

    Rapporten hamnar i MAPP/rapport-<år>/ i alla format, med siffrorna som CSV och XLSX,
    och med teamens årssummeringar och den avdelningsgemensamma årssummeringen när
    teamunderlagen har en 'arssummering'.

    \b
    Exempel:
      mallgen report --year 2026 examples/rapport
      mallgen report --year 2026 arenden/ team/ nyckeltal.csv -f pdf,docx -o rapporter
      mallgen report --year 2026 arenden/ team/ --kontrollera
    """
    from .output import write_case
    from .pipeline import parse_formats
    from .report import build_report

    built = build_report(list(inputs), year, parse_formats(formats), templates, organisation, check_only)
    _report(built.warnings)
    report = built.report
    counts = report.counts
    summary = (f"{_count(counts['arenden'], 'ärende', 'ärenden')}, {counts['team']} teamunderlag, "
               f"{_count(len(report.areas), 'avtalsområde', 'avtalsområden')}")
    if counts["andra_ar"]:
        other = counts["andra_ar"]
        summary += " (1 ärendefil gällde ett annat år)" if other == 1 else f" ({other} ärendefiler gällde andra år)"
    if check_only:
        click.echo(f"rapport-{year}: {summary}; {_count(len(built.warnings), 'varning', 'varningar')}. Inget skrevs (--kontrollera).")
        return
    written = write_case(built.folder_case, built.rendered, out_dir, force=force)
    _report_kept(written)
    click.echo(f"rapport-{year}: {summary}; {len(written.written)} filer skrivna, {len(written.unchanged)} oförändrade i {written.folder}")
    if written.kept:
        sys.exit(1)


if __name__ == "__main__":
    main()
