"""The command line: parses arguments, calls the library, maps errors to messages and exit codes."""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import DataError, MallgenError, Problem, current_input

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# --- click's own texts in Swedish ------------------------------------------------------------------
# Click looks up every text it shows (usage line, error messages, the help option) with gettext when
# it shows it. Its modules' `_` and `ngettext` are replaced by lookups in these tables, once, before
# any command is defined; a text not listed here stays as click wrote it.
_CLICK_SV = {
    "Usage:": "Användning:",
    "Options": "Flaggor",
    "Commands": "Kommandon",
    "Positional arguments": "Argument",
    "Show this message and exit.": "Visa den här hjälpen och avsluta.",
    "Show the version and exit.": "Visa versionen och avsluta.",
    "Error: {message}": "Fel: {message}",
    "Try '{command} {option}' for help.": "Skriv '{command} {option}' för hjälp.",
    "Missing argument": "Saknar argumentet",
    "Missing option": "Saknar flaggan",
    "Missing parameter": "Saknar parametern",
    "Missing {param_type}": "Saknar {param_type}",
    "Missing parameter: {param_name}": "Saknar parametern {param_name}",
    "Missing command.": "Ange ett kommando.",
    "No such command {name!r}.": "Kommandot {name!r} finns inte.",
    "No such option {name!r}.": "Flaggan {name!r} finns inte.",
    "Did you mean {possibility}?": "Menade du {possibility}?",
    "Invalid value for {param_hint}: {message}": "Ogiltigt värde för {param_hint}: {message}",
    "Invalid value: {message}": "Ogiltigt värde: {message}",
    "Option {name!r} does not take a value.": "Flaggan {name!r} tar inget värde.",
    "Argument {name!r} takes {nargs} values.": "Argumentet {name!r} tar {nargs} värden.",
    "Choose from:\n\t{choices}": "Välj bland:\n\t{choices}",
    "{value} is not in the range {range}.": "{value} ligger utanför intervallet {range}.",
    "{value!r} is not a valid {number_type}.": "{value!r} är inte ett giltigt {number_type}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} är inte ett giltigt sanningsvärde. Giltiga värden: {states}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} finns inte.",
    "{name} {filename!r} is a file.": "{name} {filename!r} är en fil.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} är en mapp.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} kan inte läsas.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} kan inte skrivas.",
    "Could not open file {filename!r}: {message}": "Filen {filename!r} kunde inte öppnas: {message}",
    "file": "fil",
    "directory": "mapp",
    "path": "sökväg",
    "default: {default}": "standard: {default}",
    "env var: {var}": "miljövariabel: {var}",
    "required": "krävs",
    "(dynamic)": "(beräknas)",
    "deprecated": "utgått",
    "unknown error": "okänt fel",
    "Aborted!": "Avbrutet.",
}
_CLICK_SV_PLURAL = {
    "Got unexpected extra argument ({args})": ("Oväntat argument ({args})", "Oväntade argument ({args})"),
    "Option {name!r} requires an argument.": ("Flaggan {name!r} kräver ett värde.", "Flaggan {name!r} kräver {nargs} värden."),
    "{value!r} is not {choice}.": ("{value!r} är inte {choice}.", "{value!r} är inte något av {choices}."),
    "Did you mean {possibility}?": ("Menade du {possibility}?", "(Menade du något av: {possibilities}?)"),
    "Takes {nargs} values but 1 was given.": ("Tar {nargs} värden men 1 angavs.", "Tar {nargs} värden men {len} angavs."),
}


def _click_in_swedish() -> None:
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    def translate(message: str) -> str:
        return _CLICK_SV.get(message, message)

    def translate_plural(singular: str, plural: str, count: int) -> str:
        one, many = _CLICK_SV_PLURAL.get(singular, (singular, plural))
        return one if count == 1 else many

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui, click.types):
        for name, function in (("_", translate), ("ngettext", translate_plural)):
            if hasattr(module, name):
                setattr(module, name, function)
    # The names of number types stand in messages ("'abc' är inte ett giltigt heltal") and metavars.
    click.types.IntParamType.name = "heltal"
    click.types.FloatParamType.name = "decimaltal"
    click.types.IntRange.name = "heltal"
    click.types.FloatRange.name = "decimaltal"


_click_in_swedish()


class _Command(click.Command):
    """A command whose usage line says [FLAGGOR] (click's own default is English)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[FLAGGOR]")
        super().__init__(*args, **kwargs)


class _Group(click.Group):
    command_class = _Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[FLAGGOR]")
        kwargs.setdefault("subcommand_metavar", "KOMMANDO [ARGUMENT]...")
        super().__init__(*args, **kwargs)


# Control characters (and the bidirectional overrides that reorder a line) in a file name or a
# field name must never reach the terminal raw: ESC sequences would move the cursor, recolour or
# clear the screen, or forge a message. They are shown as \x1b, \u202e.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` safe for a terminal: line breaks and tabs kept, every other control character escaped."""
    return _UNPRINTABLE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def echo(text: str = "", err: bool = False, nl: bool = True) -> None:
    """click.echo of `printable(text)`: everything mallgen says goes through here."""
    click.echo(printable(text), err=err, nl=nl)


MAX_MESSAGES_PER_FILE = 50  # a file with more errors gets one line saying how many more


def _report(problems: list[Problem]) -> None:
    """Every problem, at most MAX_MESSAGES_PER_FILE per file (a broken table can give millions)."""
    shown: dict[str, int] = {}
    for problem in problems:
        count = shown.get(problem.file, 0) + 1
        shown[problem.file] = count
        if count <= MAX_MESSAGES_PER_FILE:
            echo(str(problem), err=True)
    for file, count in shown.items():
        if count > MAX_MESSAGES_PER_FILE:
            echo(f"{file}: … och {count - MAX_MESSAGES_PER_FILE} fel och varningar till i samma fil (de första {MAX_MESSAGES_PER_FILE} visas).", err=True)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _report_kept(report: Any, say: Callable[..., None] = echo) -> None:
    """Say which hand-edited documents were left alone, and which were backed up under --force."""
    for path in report.kept:
        why = ("finns redan men saknas i manifest.json (skapad utanför mallgen, eller manifestet har tagits bort)"
               if path in report.unrecorded else "har redigerats för hand")
        say(f"{path}: {why} och skrevs inte över. Använd --force för att ersätta den (en daterad kopia sparas).", err=True)
    for path in report.backups:
        say(f"{path}: sparad kopia av det handredigerade dokumentet.", err=True)


class _Progress:
    """click's progress bar (count and time left) on standard error, only on a terminal.

    Lines printed while it runs (`echo`) go above it: the bar is wiped, the line written and
    the bar drawn again, so the terminal shows the lines and one bar under them.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None

    def start(self, label: str, total: int) -> None:
        self.finish()
        if self.enabled and total > 0:
            self._bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_pos=True, width=30)
            self._bar.__enter__()

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(steps)

    def finish(self) -> None:
        if self._bar is not None:
            self._wipe()
            sys.stderr.write("\033[?25h")  # the bar hid the cursor
            sys.stderr.flush()
            self._bar = None

    def stage(self, text: str) -> None:
        """A line saying what a long run does now (only on a terminal)."""
        if self.enabled:
            self.echo(text, err=True)

    def echo(self, text: str, err: bool = False) -> None:
        if self._bar is None:
            echo(text, err=err)
            return
        self._wipe()
        echo(text, err=err)
        self._bar.render_progress()

    def _wipe(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _at_least_one(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise click.BadParameter(f"{value} processer räcker inte; ange minst 1.")
    return value


def _handle(command: Callable[..., Any]) -> Callable[..., Any]:
    """Every MallgenError becomes its Swedish message and exit status; nothing else leaks out."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DataError as exc:
            for failure in exc.failures:
                echo(failure, err=True)
            _report(exc.problems)
            errors = sum(1 for p in exc.problems if not p.warning) + len(exc.failures)
            echo(f"{errors} fel hittades. Rätta {'det' if errors == 1 else 'dem'} och kör kommandot igen.", err=True)
            sys.exit(exc.exit_code)
        except MallgenError as exc:
            echo(f"Fel: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo("Avbrutet.", err=True)
            sys.exit(130)
        except Exception as exc:  # the last line of defence: no input may end in a traceback
            _unexpected(exc, args, kwargs)

    return wrapper


_DEBUG = {"on": bool(os.environ.get("MALLGEN_DEBUG"))}


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _DEBUG["on"] = True


_debug = click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
                      help="Visa hela felutskriften (traceback) om ett oväntat fel inträffar.")


def _unexpected(exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """An error mallgen did not foresee: one Swedish line naming the input, exit 1 (--debug: the traceback).

    The test suite makes this fail the test (conftest.py): every input must have its own message."""
    where = current_input() or ", ".join(str(v) for v in _inputs(kwargs)) or "indata"
    if _DEBUG["on"]:
        traceback.print_exception(exc, file=sys.stderr)
    detail = f": {exc}" if str(exc) and len(str(exc)) < 200 else ""
    echo(f"Fel: oväntat fel när {where} behandlades ({type(exc).__name__}{detail}). Kontrollera filen; kör kommandot "
         "igen med --debug och skicka utskriften till den som förvaltar mallgen om felet består.", err=True)
    sys.exit(1)


def _inputs(kwargs: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    for name in ("arenden", "inputs", "indata", "templates"):
        value = kwargs.get(name)
        if isinstance(value, (list, tuple)):
            found += list(value)
        elif value is not None:
            found.append(value)
    return found


def _options(documents: tuple[str, ...], templates: Path | None, organisation: Path | None, formats: str | None = None) -> Any:
    from .pipeline import Options, parse_formats

    return Options(documents=list(documents), formats=parse_formats(formats), templates=templates, organisation=organisation)


_case_files = click.argument("arenden", metavar="ÄRENDE.yaml...", nargs=-1, required=True, type=click.Path(path_type=Path))
_documents = click.option("-d", "--dokument", "documents", multiple=True, metavar="DOKUMENT",
                          help="Bara detta dokument (kan upprepas). Se 'mallgen documents'.")
_templates = click.option("--mallar", "templates", type=click.Path(path_type=Path), help="Egen mallmapp som söks före de inbyggda mallarna.")
_organisation = click.option("--organisation", "organisation", type=click.Path(path_type=Path),
                             help="Organisationsprofil (annars organisation.yaml bredvid ärendet).")


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="mallgen", message="%(prog)s %(version)s")
@_debug
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
@_debug
@_handle
def validate_command(arenden: tuple[Path, ...], documents: tuple[str, ...], templates: Path | None, organisation: Path | None) -> None:
    """Kontrollera ärendefiler och teamunderlag mot schemat och handbokens regler.

    Alla fel rapporteras på en gång som FIL:RAD: fält: meddelande.
    Med -d kontrolleras att ärendet har allt som just det dokumentet kräver.
    En mapp betyder alla ärendefiler och teamunderlag i den och dess undermappar.
    Ett teamunderlag (team:, ar:) kontrolleras med sina löpande ärenden.

    \b
    Exempel:
      mallgen validate arende.yaml
      mallgen validate arende.yaml -d kallelse-dialogmote
      mallgen validate arenden/
      mallgen validate team/vardval-vardcentral.yaml
    """
    from .pipeline import check_inputs

    checked = check_inputs(list(arenden), _options(documents, templates, organisation))
    for skipped in checked.skipped:
        echo(str(skipped), err=True)
    _report(checked.warnings)
    for case in checked.cases:
        names = ", ".join(d.id for d in case.documents)
        echo(f"{case.source.name}: giltigt ({len(case.documents)} dokument: {names})")


@main.command("render", context_settings=CONTEXT)
@_case_files
@_documents
@click.option("-f", "--format", "formats", metavar="FORMAT", help="Kommaseparerat: pdf,docx,html,md (standard: alla).")
@click.option("-o", "--ut", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True, help="Mapp för dokumenten.")
@_templates
@_organisation
@click.option("--force", is_flag=True, help="Skapa alla dokument på nytt och skriv över dokument som redigerats för hand (de sparas först som daterad kopia).")
@click.option("-j", "--processer", "jobs", type=int, metavar="N", callback=lambda ctx, param, value: _at_least_one(value),
              help="Antal processer som skapar dokument samtidigt (standard: en per kärna).")
@click.option("-q", "--tyst", "quiet", is_flag=True, help="Skriv bara fel och varningar: ingen förloppsindikator, inga rader per ärende.")
@click.option("--json", "as_json", is_flag=True, help="Skriv en sammanfattning som JSON: per ärende skrivna, oförändrade och behållna filer och problem.")
@_debug
@_handle
def render_command(arenden: tuple[Path, ...], documents: tuple[str, ...], formats: str | None, out_dir: Path,
                   templates: Path | None, organisation: Path | None, force: bool, jobs: int | None, quiet: bool, as_json: bool) -> None:
    """Skapa dokumenten för ett eller flera ärenden eller teamunderlag.

    Utan -d skapas varje dokument som ärendet har uppgifter för; utan -f alla format.
    En mapp betyder alla ärendefiler och teamunderlag i den och dess undermappar;
    organisationsprofiler där hoppas över. Dokumenten hamnar i
    MAPP/<ärende-id>/<dokument-id>.<format>, med en manifest.json; ett teamunderlags
    dokument i MAPP/_team-<avtalsområde>-<år>/. Ett dokument vars uppgifter, mall och
    organisationsprofil är oförändrade sedan det skapades skapas inte på nytt. Ett dokument
    som redigerats för hand skrivs inte över utan --force. Arbetet delas på alla kärnor (-j).

    \b
    Exempel:
      mallgen render arende.yaml
      mallgen render arende.yaml -d kallelse-dialogmote -f pdf,docx -o utskick
      mallgen render arenden/ -j 4
      mallgen render team/vardval-vardcentral.yaml -d verksamhetsbedomning
    """
    import json

    from .batch import check, failure_summary, render_cases, summary, totals

    options = _options(documents, templates, organisation, formats)
    progress = _Progress(enabled=not quiet and sys.stderr.isatty())
    say = (lambda text, err=False: None) if quiet or as_json else progress.echo
    try:
        checked = check(list(arenden), options, progress)
    except MallgenError as exc:
        if as_json:
            click.echo(json.dumps(failure_summary(exc), ensure_ascii=False, indent=2))
        raise
    for skipped in checked.skipped:
        say(str(skipped), err=True)
    _report(checked.warnings)
    results = []
    try:
        for result in render_cases(checked.cases, options, out_dir, force=force, jobs=jobs, progress=progress):
            results.append(result)
            _report_kept(result.report, progress.echo)
            report = result.report
            say(f"{result.case.id}: {len(report.written)} filer skrivna, {len(report.unchanged)} oförändrade i {report.folder}")
    except (MallgenError, KeyboardInterrupt) as exc:
        progress.finish()
        written = len(results)
        if written < len(checked.cases) and not as_json:
            _stopped_at(checked.cases[written].id, [c.id for c in checked.cases[written + 1:]], written)
        if as_json and isinstance(exc, MallgenError):
            click.echo(json.dumps({**summary(results, checked.skipped, checked.warnings), "fel": [printable(str(exc))]}, ensure_ascii=False, indent=2))
        raise
    if len(results) > 1:
        done = totals(results)
        teams = f" och {_count(done['teamunderlag'], 'teamunderlag', 'teamunderlag')}" if done["teamunderlag"] else ""
        say(f"Klart: {_count(done['arenden'], 'ärende', 'ärenden')}{teams}; {_count(done['skapade'], 'dokument skapat', 'dokument skapade')}, "
            f"{done['oforandrade']} {'oförändrat' if done['oforandrade'] == 1 else 'oförändrade'} sedan förra gången, "
            f"{done['hoppade_over']} hoppades över ({'redigerat' if done['hoppade_over'] == 1 else 'redigerade'} för hand).")
    if as_json:
        click.echo(json.dumps(summary(results, checked.skipped, checked.warnings), ensure_ascii=False, indent=2))
    if any(result.kept for result in results):
        sys.exit(1)


def _stopped_at(case_id: str, rest: list[str], done: int) -> None:
    """With several cases, say exactly what a stop left: the cases before were written (each said
    so on its line), this one not (or only partly, as its message says), the rest not at all."""
    if not done and not rest:
        return
    echo(f"{case_id}: stoppades (se nedan); ärendena före det är skrivna, som raderna ovan säger.", err=True)
    if rest:
        echo(f"Inte påbörjade: {', '.join(rest)}.", err=True)


@main.command("documents", context_settings=CONTEXT)
@_templates
@_debug
@_handle
def documents_command(templates: Path | None) -> None:
    """Lista dokumentkatalogen: id, titel, avsnitt i handboken, målgrupp och mallversioner.

    Varje version står med sin giltighetstid; äldre versioner (i mallens mapp
    versioner/) står på egna rader under den gällande.

    \b
    Exempel:
      mallgen documents
      mallgen documents --mallar egna-mallar
    """
    from .templates import AUDIENCES, catalogue, template_dirs

    templates_found = catalogue(tuple(template_dirs(templates))).values()
    rows = [
        (t.id, f"{t.title} (sekretessbelagd bilaga till {t.parent})" if t.parent else t.title, t.section, AUDIENCES[t.audience],
         v.version, v.validity) if n == 0 else ("", "", "", "", v.version, v.validity)
        for t in templates_found for n, v in enumerate(t.versions)
    ]
    headers = ("Id", "Titel", "Avsnitt", "Målgrupp", "Version", "Giltig")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip())


@main.command("new", context_settings=CONTEXT)
@click.argument("typ", metavar="TYP", type=click.Choice(["fordjupad", "lopande", "team", "organisation", "mall"], case_sensitive=False))
@click.argument("mall_id", metavar="[ID]", required=False)
@click.option("-o", "--ut", "out_file", type=click.Path(path_type=Path),
              help="Fil att skriva (annars skrivs skelettet ut). För 'mall': mappen där mallmappen skapas (standard: aktuell mapp).")
@_templates
@_debug
@_handle
def new_command(typ: str, mall_id: str | None, out_file: Path | None, templates: Path | None) -> None:
    """Skapa en kommenterad fil att fylla i, eller en ny mallmapp.

    TYP är fordjupad eller lopande (en ärendefil), team (ett teamunderlag),
    organisation (en organisationsprofil) eller mall ID (en ny mall: dokument.md med
    front matter, ett schema och ett exempel). Allt skapas ur schemana, så det
    stämmer alltid med vad 'mallgen validate' kräver. Skrivs filen med -o läggs
    mallgen.schema.json bredvid om den inte redan finns, så att redigeraren känner
    igen fälten.

    \b
    Exempel:
      mallgen new fordjupad -o arende.yaml
      mallgen new lopande -o avtal-2026.yaml
      mallgen new team -o team-radiologi.yaml
      mallgen new mall informationsbrev -o egna-mallar
    """
    from .errors import UsageError
    from .skeleton import new_template, skeleton, write_skeleton

    typ = typ.lower()
    if typ == "mall":
        if not mall_id:
            raise UsageError("ange mallens id: mallgen new mall ID [-o MAPP]")
        written = new_template(mall_id, out_file or Path("."))
        for path in written:
            echo(f"Skrev {path}")
        echo(f"Fyll i titel, avsnitt och målgrupp i {written[0]} och kontrollera med: mallgen check --mallar {out_file or Path('.')}")
        return
    if mall_id:
        raise UsageError(f"'mallgen new {typ}' tar inget id; bara 'mallgen new mall ID' gör det")
    if out_file is None:
        echo(skeleton(typ, templates), nl=False)
        return
    written = write_skeleton(typ, out_file, templates)
    if len(written) > 1:
        echo(f"Skrev {written[1]} (schemat som redigeraren använder).")
    check = f"mallgen validate {out_file}"
    if typ == "team":  # its planning documents are checked like a case's, its figures with the report's
        check += f" (och siffrorna till årsrapporten med: mallgen report --year ÅÅÅÅ {out_file} --kontrollera)"
    echo(f"Skrev {out_file}. Fyll i uppgifterna och kontrollera med: {check}")


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
@click.option("-q", "--tyst", "quiet", is_flag=True, help="Skriv bara fel, varningar och resultatet: ingen förloppsindikator.")
@_debug
@_handle
def report_command(year: int, inputs: tuple[Path, ...], formats: str | None, out_dir: Path, templates: Path | None,
                   organisation: Path | None, check_only: bool, force: bool, quiet: bool) -> None:
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

    progress = _Progress(enabled=not quiet and sys.stderr.isatty())
    try:
        built = build_report(list(inputs), year, parse_formats(formats), templates, organisation, check_only, progress)
    finally:
        progress.finish()  # also on an error: the bar's line goes, the cursor comes back
    _report(built.warnings)
    report = built.report
    counts = report.counts
    summary = (f"{_count(counts['arenden'], 'ärende', 'ärenden')}, {counts['team']} teamunderlag, "
               f"{_count(len(report.areas), 'avtalsområde', 'avtalsområden')}")
    if counts["andra_ar"]:
        other = counts["andra_ar"]
        summary += " (1 ärendefil gällde ett annat år)" if other == 1 else f" ({other} ärendefiler gällde andra år)"
    if check_only:
        echo(f"rapport-{year}: {summary}; {_count(len(built.warnings), 'varning', 'varningar')}. Inget skrevs (--kontrollera).")
        return
    progress.stage(f"Skriver {len(built.rendered)} filer …")
    written = write_case(built.folder_case, built.rendered, out_dir, force=force)
    _report_kept(written)
    echo(f"rapport-{year}: {summary}; {len(written.written)} filer skrivna, {len(written.unchanged)} oförändrade i {written.folder}")
    if written.kept:
        sys.exit(1)


@main.command("check", context_settings=CONTEXT)
@click.option("--mallar", "templates", type=click.Path(path_type=Path),
              help="Kontrollera bara mallarna i den här mappen (annars de inbyggda).")
@click.option("--godkann", "accept", is_flag=True, help="Godkänn exemplens nuvarande text som ny jämförelsetext (exempel.godkand.md).")
@_debug
@_handle
def check_command(templates: Path | None, accept: bool) -> None:
    """Kontrollera mallarna utan ärendedata, och deras exempel.

    För varje mall: front matter och versioner, Jinja-syntax, att varje fält och
    filter finns i dokumentets schema (ett valfritt fält utan skydd ger en varning),
    att interna fält inte når dokument som lämnar teamet, och mallens tillgänglighet
    (en huvudrubrik, rubriknivåer i ordning, alternativtext, tabellrubriker). Sedan
    skapas mallens exempel (exempel.yaml) som Markdown och jämförs med den godkända
    texten (exempel.godkand.md); en skillnad visas rad för rad. Efter en avsiktlig
    ändring godkänner --godkann den nya texten.

    Varje fynd skrivs som FIL:RAD: meddelande. Utgångsstatus 1 om något fel hittades.

    \b
    Exempel:
      mallgen check
      mallgen check --mallar egna-mallar
      mallgen check --mallar egna-mallar --godkann
    """
    from .check import check_templates, shown_path
    from .templates import template_dirs

    template_dirs(templates)  # an unknown --mallar folder is a clear error before anything runs
    result = check_templates(templates, accept)
    for finding in result.findings:
        echo(str(finding.problem), err=True)
        if finding.detail:
            echo(finding.detail, err=True)
    for path in result.accepted:
        echo(f"{shown_path(str(path))}: ny godkänd text.")
    summary = (f"{_count(result.templates, 'mall', 'mallar')} kontrollerade: {_count(result.errors, 'fel', 'fel')}, "
               f"{_count(result.warnings, 'varning', 'varningar')}.")
    echo(summary)
    if result.errors:
        sys.exit(1)


@main.command("preview", context_settings=CONTEXT)
@click.argument("dokument", metavar="DOKUMENT")
@click.argument("indata", metavar="[INDATA]", required=False, type=click.Path(path_type=Path))
@_templates
@click.option("--port", type=click.IntRange(0, 65535), default=8400, show_default=True, help="Port på localhost (0: välj en ledig).")
@_debug
@_handle
def preview_command(dokument: str, indata: Path | None, templates: Path | None, port: int) -> None:
    """Visa ett dokument i webbläsaren medan du arbetar med mallen.

    Dokumentet skapas som HTML på http://127.0.0.1:PORT/ ur mallens exempel
    (exempel.yaml), eller ur INDATA (en ärendefil; för årsrapportens dokument en fil
    med ar: och indata: som exemplet). Sidan laddas om av sig själv när mallen,
    layouten, schemat eller datan ändras. Fel visas i sidan med fil och rad.
    Avsluta med Ctrl+C.

    \b
    Exempel:
      mallgen preview kallelse-dialogmote
      mallgen preview kallelse-dialogmote arende.yaml --mallar egna-mallar
    """
    from .preview import serve

    def announce(url: str) -> None:
        echo(f"Förhandsgranskning av {dokument}: {url}  (avsluta med Ctrl+C)")

    serve(dokument, indata, templates, port, announce)
    echo("Förhandsgranskningen är avslutad.")


@main.command("schema", context_settings=CONTEXT)
@click.option("-o", "--ut", "out_file", type=click.Path(path_type=Path), help="Fil att skriva (annars skrivs schemat ut).")
@_templates
@_debug
@_handle
def schema_command(out_file: Path | None, templates: Path | None) -> None:
    """Skriv ett JSON Schema för ärendefiler och teamunderlag, för redigerare.

    En redigerare med YAML-stöd (till exempel VS Code med tillägget YAML) fyller
    då i fältnamn, visar fältens beskrivningar och markerar felstavade fält medan
    du skriver. Filer från 'mallgen new' pekar på mallgen.schema.json i samma mapp.

    \b
    Exempel:
      mallgen schema -o mallgen.schema.json
      mallgen schema --mallar egna-mallar -o mallgen.schema.json
    """
    from .json_schema import export, to_json, write_schema
    from .schema import schema_dirs
    from .templates import template_dirs

    text = to_json(export(tuple(template_dirs(templates)), schema_dirs(templates)))
    if out_file is None:
        echo(text, nl=False)
        return
    written = write_schema(out_file, text)
    echo(f"Skrev {out_file}." if written else f"{out_file} är redan aktuell.")


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(args: list[str] | None = None) -> None:
    """The `mallgen` command: `main` with kill (SIGTERM) and a closed terminal (SIGHUP) handled like
    Ctrl+C, so a stopped render cleans up its temporary files and leaves a true manifest."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupted)
    main(args=args)


if __name__ == "__main__":
    run()
