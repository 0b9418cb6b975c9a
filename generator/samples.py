"""A template's bundled sample: the data `mallgen check` and `mallgen preview` render it with.

Convention (the README's guide for handbook owners says the same in Swedish):

    mallar/<id>/exempel.yaml          the sample: what `mallgen render` (or `report`) would read
    mallar/<id>/exempel.godkand.md    the accepted Markdown text of the sample (`check --godkann`)
    mallar/_exempel/<bas>.yaml        shared base samples: provider, contract, people, deviations

A sample of a document made from a case or team file is such a file, except that it may start
with `bas: <name>`: the base sample `_exempel/<name>.yaml` is then read first and the sample laid
over it (mappings merged key by key, anything else replaced). So a sample holds little more than
its document's own section. A sample of a document of the annual report names the report's
inputs instead: `ar: 2026` and `indata: [...]` (paths relative to the sample).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .case import FieldPath, Source, dotted, read_yaml
from .errors import InputError, Problem
from .templates import DocumentTemplate

SAMPLE = "exempel.yaml"
BASELINE = "exempel.godkand.md"
BASES = "_exempel"
BASE_KEY = "bas"


@dataclass
class SampleSource(Source):
    """A sample laid over its base: each problem names the file (and line) its field came from."""

    base: Source | None = None
    overridden: set[FieldPath] = field(default_factory=set)

    def problem(self, path: FieldPath, message: str, warning: bool = False) -> Problem:
        path = tuple(path)
        for n in range(len(path), -1, -1):
            prefix = path[:n]
            if prefix in self.lines and (prefix or self.base is None):
                return Problem(self.name, self.lines[prefix], dotted(path), message, warning)
            if self.base is not None and prefix in self.base.lines and prefix not in self.overridden:
                return Problem(self.base.name, self.base.lines[prefix], dotted(path), message, warning)
        return Problem(self.name, self.lines.get((), 1), dotted(path), message, warning)


def sample_path(template: DocumentTemplate) -> Path:
    """`exempel.yaml` beside the template; a confidential attachment, made from its parent's section,
    uses its parent's sample (a folder of the same template directory)."""
    if template.parent is not None and not (template.folder / SAMPLE).is_file():
        return template.folder.parent / template.parent / SAMPLE
    return template.folder / SAMPLE


def baseline_path(template: DocumentTemplate) -> Path:
    return template.folder / BASELINE


def find_base(name: str, dirs: tuple[Path, ...]) -> Path | None:
    for folder in dirs:
        candidate = folder / BASES / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None


def load_sample(template: DocumentTemplate, dirs: tuple[Path, ...]) -> SampleSource:
    """The sample of a document made from a case or team file, laid over its base."""
    path = sample_path(template)
    if not path.is_file():
        raise InputError(f"{template.folder / 'dokument.md'}:1: mallen saknar exempel: lägg exempeldata i {SAMPLE} bredvid mallen "
                         f"{'(en sekretessbelagd bilaga kan använda sitt huvuddokuments) ' if template.parent else ''}"
                         "(se 'För handboksansvariga' i README)")
    sample = read_yaml(path, what="exemplet")
    data = dict(sample.data)
    base_name = data.pop(BASE_KEY, None)
    if base_name is None:
        return SampleSource(sample.path, data, sample.lines, sample.written)
    base_file = find_base(str(base_name), dirs)
    if base_file is None:
        searched = ", ".join(str(d / BASES) for d in dirs)
        raise InputError(f"{path}:{sample.line_of((BASE_KEY,))}: {BASE_KEY}: grundexemplet '{base_name}' finns inte (sökte {base_name}.yaml i {searched})")
    base = read_yaml(base_file, what="grundexemplet")
    overridden = {p for p in sample.lines if p and not _both_mappings(p, base.data, sample.data)}
    lines = {p: n for p, n in sample.lines.items() if p != (BASE_KEY,)}
    written = {**{p: t for p, t in base.written.items() if p not in overridden}, **sample.written}
    return SampleSource(sample.path, merge(base.data, data), lines, written, base=base, overridden=overridden)


def _both_mappings(path: FieldPath, base: Any, sample: Any) -> bool:
    """True where the sample's value at `path` is merged into the base's rather than replacing it."""
    for part in path:
        if not (isinstance(base, dict) and isinstance(sample, dict) and part in base and part in sample):
            return False
        base, sample = base[part], sample[part]
    return isinstance(base, dict) and isinstance(sample, dict)


def merge(base: Any, over: Any) -> Any:
    """`over` laid on `base`: mappings key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base.get(key), value) if key in base else value
        return out
    return over


@dataclass
class SampleRender:
    """What a sample gave: each output's name and bytes (md, html, ...), and the warnings."""

    outputs: list[tuple[str, str, bytes]]  # (output id, extension, content)
    warnings: list[Problem]

    def text(self, extension: str = "md") -> str:
        """Every output of one format as one text; several outputs (one per team) are marked."""
        parts = [(name, content.decode("utf-8")) for name, ext, content in self.outputs if ext == extension]
        if len(parts) == 1:
            return parts[0][1]
        return "\n".join(f"<!-- {name}.{extension} -->\n{text}" for name, text in parts)


def render_sample(template: DocumentTemplate, user_dir: Path | None, formats: tuple[str, ...] = ("md",),
                  data_file: Path | None = None) -> SampleRender:
    """Render `template` with its sample (or `data_file`), in memory, as `mallgen render` or
    `mallgen report` would. Raises the same errors they raise."""
    from .templates import template_dirs

    dirs = tuple(template_dirs(user_dir))
    if template.source == "arsrapport":
        return _render_report_sample(template, user_dir, formats, data_file)
    from .errors import DataError
    from .pipeline import Options, load_case, render_document

    source = None if data_file is not None else load_sample(template, dirs)
    path = data_file if data_file is not None else sample_path(template)
    options = Options(documents=[template.id], formats=formats, templates=user_dir)
    case, problems = load_case(path, options, source=source)
    if case is None:
        raise DataError(problems)
    document = next(d for d in case.documents if d.id == template.id)
    rendered = render_document(case, document, formats, dirs)
    return SampleRender([(r.document.id, r.extension, r.content) for r in rendered], [p for p in problems if p.warning])


def _render_report_sample(template: DocumentTemplate, user_dir: Path | None, formats: tuple[str, ...],
                          data_file: Path | None) -> SampleRender:
    from .report import build_report

    path = data_file if data_file is not None else sample_path(template)
    if data_file is None and not path.is_file():
        raise InputError(f"{template.folder / 'dokument.md'}:1: mallen saknar exempel: ange årsrapportens indata i {SAMPLE} "
                         "bredvid mallen (ar: och indata:; se 'För handboksansvariga' i README)")
    spec = read_yaml(path, what="exemplet")
    year, inputs = spec.data.get("ar"), spec.data.get("indata")
    if not isinstance(year, int) or not isinstance(inputs, list) or not inputs:
        raise InputError(f"{path}:{spec.line_of(('indata',))}: exemplet till en mall ur årsrapporten anger 'ar: ÅÅÅÅ' och "
                         "'indata:' (en lista med ärendefiler, teamunderlag eller mappar, relativt exemplet)")
    paths = [(path.parent / str(p)).resolve() for p in inputs]
    built = build_report(paths, year, formats, templates=user_dir)
    outputs = [(item.document.id, item.extension, item.content) for item in built.rendered
               if item.document.folder == template.folder and item.extension in formats]
    if not outputs:
        raise InputError(f"{path}:1: indata gav inget dokument {template.id} (saknar underlaget det som dokumentet bygger på?)")
    return SampleRender(outputs, built.warnings)
