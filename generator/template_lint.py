"""Static checks of a template against its document's schema, without any case data.

The template's Jinja syntax tree is walked with a *shape* for every value: what the schema says a
field holds (a group of fields, a list, a date, text), whether it may be missing, and whether it
is internal. So, before any case exists:
- a name or field the schema does not know is an error (`vardgivare.adres`), with a suggestion;
- an internal field (`intern: true`) reached from a document that leaves the team is an error:
  at render time it does not exist in that document's context at all;
- an optional field used without a guard is a warning: the document fails (`None.namn`, a date
  filter given nothing) or gets a hole in a sentence when a case leaves it out. A guard is an
  `{% if x %}` around the use, `x and …`, `… if x else …`, `x or "–"`, `x | default(…)`, or
  `x is defined` / `x is not none`;
- an unknown filter or test is an error.
Included partials are checked in the context (and under the guards) of the including template;
imported ones (`{% import … as t %}`) expose what they set.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes

from .errors import Problem
from .templates import AUDIENCES, DocumentTemplate, template_error

SCALARS = {"string": "text", "date": "ett datum", "integer": "ett heltal", "boolean": "true eller false", "number": "ett tal"}


@dataclass(frozen=True, eq=False)
class Shape:
    """What a template can know about a value before any data exists."""

    kind: str  # dict, list, map (any key, one kind of value), scalar, module, any
    fields: dict[str, Field] = field(default_factory=dict)
    item: Shape | None = None
    scalar: str = ""
    closed: bool = True  # a dict whose keys are all known (a schema, a module)


@dataclass(frozen=True)
class Field:
    shape: Shape
    optional: bool = False
    internal: bool = False
    secret: bool = False  # `sekretess: true`: patient data, only in a confidential attachment
    markdown: bool = False  # `meta.fritext`: written in Markdown, printed with `| md`


ANY = Shape("any", closed=False)
TEXT = Shape("scalar", scalar="string")
NUMBER = Shape("scalar", scalar="number")


def shape_of(rule: Any, definitions: dict[str, Any]) -> Shape:
    """The shape of a Cerberus rule (`schema: person` resolved from the definitions)."""
    if not isinstance(rule, dict):
        return ANY
    kind, sub = rule.get("type"), rule.get("schema")
    if isinstance(sub, str):
        sub = definitions.get(sub)
    if kind == "list":
        return Shape("list", item=shape_of(sub, definitions) if isinstance(sub, dict) else ANY)
    if kind in (None, "dict") and isinstance(sub, dict):
        return dict_shape(sub, definitions)
    if kind == "dict":
        return Shape("map", item=shape_of(rule.get("valuesrules"), definitions))
    if kind in SCALARS:
        return Shape("scalar", scalar=kind)
    return ANY


def dict_shape(fields: dict[str, Any], definitions: dict[str, Any]) -> Shape:
    out = {}
    for key, rule in fields.items():
        if not isinstance(rule, dict):
            continue
        shape = shape_of(rule, definitions)
        # A missing list is handed to templates as [] (context.fill_optional), never as None.
        optional = not rule.get("required") and "default" not in rule and shape.kind != "list"
        markdown = isinstance(rule.get("meta"), dict) and bool(rule["meta"].get("fritext")) and shape.kind == "scalar"
        out[key] = Field(shape, optional, bool(rule.get("intern")), bool(rule.get("sekretess")), markdown)
    return Shape("dict", out)


def literal_dict(keys: dict[str, Shape]) -> Shape:
    return Shape("dict", {k: Field(v) for k, v in keys.items()})


@dataclass(frozen=True)
class Value:
    shape: Shape
    origin: tuple[str, ...] = ()  # the field path it came from, for guards and messages
    optional: bool = False
    markdown: bool = False  # a free-text field in Markdown, as it is (no filter applied)


UNKNOWN = Value(ANY)

# Filters whose result does not depend on the input having a value, or that handle None.
NONE_SAFE = {"default", "d", "md", "fyll", "janej", "string", "e", "escape", "length", "count", "list", "tojson", "pprint"}
LIST_FILTERS = {"select", "reject", "selectattr", "rejectattr", "sort", "unique", "list", "reverse", "batch", "slice"}
TEXT_FILTERS = {
    "datum", "iso", "belopp", "tal", "klockslag", "janej", "lista", "antal", "person", "md", "lank", "fyll", "string", "lower", "upper", "replace",
    "join", "trim", "e", "escape", "indent", "format", "title", "capitalize", "truncate", "wordwrap", "center", "striptags",
    "urlencode", "safe", "tojson", "forceescape", "urlize", "xmlattr", "filesizeformat", "pprint",
}
NUMBER_FILTERS = {"length", "count", "int", "float", "round", "abs", "wordcount"}
ATTRIBUTE_FILTERS = {"map", "sort", "sum", "unique", "join", "groupby", "min", "max"}  # take attribute="…"
ORDERING = {"lt", "lteq", "gt", "gteq"}


@dataclass(frozen=True)
class _Ctx:
    scope: tuple[dict[str, Value], ...]
    guards: frozenset[tuple[str, ...]]
    name: str  # the loader name of the template being walked (a partial when included)
    depth: int = 0

    def lookup(self, name: str) -> Value | None:
        for frame in reversed(self.scope):
            if name in frame:
                return frame[name]
        return None

    def guarded(self, facts: set[tuple[str, ...]]) -> _Ctx:
        closed = set(facts)
        for fact in facts:  # `a.b.c` being there means `a.b` and `a` are too
            closed.update(fact[:n] for n in range(1, len(fact)))
        return replace(self, guards=self.guards | frozenset(closed))

    def push(self, frame: dict[str, Value] | None = None) -> _Ctx:
        return replace(self, scope=(*self.scope, frame if frame is not None else {}))


class TemplateLinter:
    """Walks one document template (and what it includes) against the shape of its context."""

    def __init__(self, env: jinja2.Environment, template: DocumentTemplate, root: dict[str, Field]) -> None:
        self.env = env
        self.template = template
        self.root = root
        self.problems: set[Problem] = set()
        self._asts: dict[str, tuple[nodes.Template, str] | None] = {}
        self._modules: dict[str, Shape] = {}

    # --- entry points -----------------------------------------------------------------------

    def run(self) -> list[Problem]:
        ctx = _Ctx(scope=({},), guards=frozenset(), name=self.template.name)
        self._walk_template(self.template.name, ctx)
        return sorted(self.problems)

    def _load(self, name: str) -> tuple[nodes.Template, str] | None:
        if name not in self._asts:
            try:
                source, filename, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
                self._asts[name] = (self.env.parse(source, name, filename), filename or name)
            except jinja2.TemplateNotFound:
                self._asts[name] = None
            except jinja2.TemplateSyntaxError as exc:
                error = template_error(exc)
                self._report(exc.filename or name, exc.lineno, str(error).split(": mallfel: ", 1)[-1])
                self._asts[name] = None
        return self._asts[name]

    def _walk_template(self, name: str, ctx: _Ctx) -> _Ctx:
        loaded = self._load(name)
        if loaded is None:
            return ctx
        tree, _ = loaded
        return self._body(tree.body, replace(ctx, name=name))

    # --- reporting ------------------------------------------------------------------------------

    def _filename(self, name: str) -> str:
        loaded = self._asts.get(name)
        return loaded[1] if loaded else name

    def _report(self, file: str, line: int | None, message: str, warning: bool = False) -> None:
        self.problems.add(Problem(file, line or 0, "", message, warning))

    def _error(self, ctx: _Ctx, node: nodes.Node, message: str, warning: bool = False) -> None:
        if ctx.name != self.template.name:
            message += f" (inkluderad i {self.template.id})"
        self._report(self._filename(ctx.name), node.lineno, message, warning)

    # --- statements -----------------------------------------------------------------------------

    def _body(self, body: list[nodes.Node], ctx: _Ctx) -> _Ctx:
        for node in body:
            ctx = self._stmt(node, ctx)
        return ctx

    def _stmt(self, node: nodes.Node, ctx: _Ctx) -> _Ctx:  # noqa: C901 - one branch per statement kind
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData) and self._expr(child, ctx, "print").markdown:
                    # Printed as plain text, its Markdown would reach the reader as ** and [..](..).
                    text = _text(child)
                    self._error(ctx, child, f"'{text}' är Markdown (meta.fritext i schemat) men skrivs ut som vanlig text, så att "
                                            f"fetstil, länkar och listor syns som tecken; skriv {{{{ {text} | md }}}}")
        elif isinstance(node, nodes.If):
            self._expr(node.test, ctx, "test")
            self._body(node.body, ctx.guarded(self._truthy(node.test, ctx)))
            falsy = self._falsy(node.test, ctx)
            for branch in node.elif_:
                here = ctx.guarded(falsy)
                self._expr(branch.test, here, "test")
                self._body(branch.body, here.guarded(self._truthy(branch.test, here)))
                falsy |= self._falsy(branch.test, here)
            self._body(node.else_, ctx.guarded(falsy))
            # `set` inside an if stays visible after it (Jinja scoping): the branches share ctx.scope.
        elif isinstance(node, nodes.For):
            iterable = self._expr(node.iter, ctx, "value")
            item = Value(iterable.shape.item or ANY, (*iterable.origin, "[]")) if iterable.shape.kind in ("list", "map") else UNKNOWN
            inner = ctx.push({"loop": UNKNOWN})
            self._bind(node.target, item, inner)
            if node.test is not None:
                self._expr(node.test, inner, "test")
                inner = inner.guarded(self._truthy(node.test, inner))
            self._body(node.body, inner)
            self._body(node.else_, ctx)
        elif isinstance(node, nodes.Assign):
            value = self._expr(node.node, ctx, "pass")
            self._bind(node.target, value, ctx)
        elif isinstance(node, nodes.AssignBlock):
            self._body(node.body, ctx.push())
            self._bind(node.target, Value(TEXT), ctx)
        elif isinstance(node, nodes.Include):
            self._include(node, ctx)
        elif isinstance(node, nodes.Import):
            if isinstance(node.template, nodes.Const):
                ctx.scope[-1][node.target] = Value(self._module(str(node.template.value), ctx), (node.target,))
        elif isinstance(node, nodes.FromImport):
            if isinstance(node.template, nodes.Const):
                module = self._module(str(node.template.value), ctx)
                for imported in node.names:
                    name, alias = imported if isinstance(imported, tuple) else (imported, imported)
                    found = module.fields.get(name)
                    if found is None:
                        self._error(ctx, node, f"'{name}' finns inte i {node.template.value}")
                    ctx.scope[-1][alias] = Value(found.shape if found else ANY, (alias,))
        elif isinstance(node, nodes.Macro):
            frame = {arg.name: UNKNOWN for arg in node.args} | {"caller": UNKNOWN, "varargs": UNKNOWN, "kwargs": UNKNOWN}
            for default in node.defaults:
                self._expr(default, ctx, "pass")
            self._body(node.body, ctx.push(frame))
            ctx.scope[-1][node.name] = UNKNOWN
        elif isinstance(node, nodes.CallBlock):
            self._expr(node.call, ctx, "pass")
            self._body(node.body, ctx.push({arg.name: UNKNOWN for arg in node.args}))
        elif isinstance(node, nodes.FilterBlock):
            self._body(node.body, ctx.push())
            if node.filter is not None:
                self._filter_name(node.filter, ctx)
        elif isinstance(node, nodes.With):
            inner = ctx.push()
            for target, bound in zip(node.targets, node.values, strict=False):
                self._bind(target, self._expr(bound, ctx, "pass"), inner)
            self._body(node.body, inner)
        elif isinstance(node, nodes.ExprStmt):
            self._expr(node.node, ctx, "pass")
        elif isinstance(node, nodes.Extends):
            if isinstance(node.template, nodes.Const):
                self._walk_template(str(node.template.value), ctx)
        elif isinstance(node, nodes.Block | nodes.Scope | nodes.ScopedEvalContextModifier | nodes.OverlayScope):
            self._body(node.body, ctx.push() if isinstance(node, nodes.Scope) else ctx)
        return ctx

    def _bind(self, target: nodes.Node, value: Value, ctx: _Ctx) -> None:
        if isinstance(target, nodes.Name):
            ctx.scope[-1][target.name] = value
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self._bind(item, UNKNOWN, ctx)

    def _include(self, node: nodes.Include, ctx: _Ctx) -> None:
        if not isinstance(node.template, nodes.Const):
            self._expr(node.template, ctx, "pass")
            return
        name = str(node.template.value)
        if self._load(name) is None:
            if not node.ignore_missing and name not in self._asts:
                self._error(ctx, node, f"mallen '{name}' finns inte")
            elif not node.ignore_missing and self._asts.get(name) is None:
                try:
                    self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
                except jinja2.TemplateNotFound:
                    self._error(ctx, node, f"mallen '{name}' finns inte")
            return
        if ctx.depth > 20:
            self._error(ctx, node, "mallen inkluderar sig själv (oändlig rekursion)")
            return
        self._walk_template(name, replace(ctx.push(), depth=ctx.depth + 1))

    def _module(self, name: str, ctx: _Ctx) -> Shape:
        """What `{% import name as x %}` exposes: the names its top level sets or defines."""
        if name in self._modules:
            return self._modules[name]
        self._modules[name] = ANY  # an import cycle sees an open module
        loaded = self._load(name)
        if loaded is None:
            return ANY
        inner = _Ctx(scope=({},), guards=frozenset(), name=name)
        self._body(loaded[0].body, inner)
        exported = {key: Field(value.shape) for key, value in inner.scope[0].items()}
        self._modules[name] = Shape("module", exported)
        return self._modules[name]

    # --- expressions ----------------------------------------------------------------------------

    def _expr(self, node: nodes.Node, ctx: _Ctx, use: str) -> Value:  # noqa: C901 - one branch per node kind
        """The value of an expression. `use` says what is done with it: print, value (an operation
        that fails on nothing), test (only its truth), pass (handed on as it is)."""
        if isinstance(node, nodes.Name):
            value = self._name(node, ctx)
        elif isinstance(node, nodes.Getattr):
            value = self._field(node, self._expr(node.node, ctx, "access"), node.attr, ctx)
        elif isinstance(node, nodes.Getitem):
            owner = self._expr(node.node, ctx, "access")
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) and owner.shape.kind in ("dict", "module"):
                value = self._field(node, owner, node.arg.value, ctx)
            else:
                self._expr(node.arg, ctx, "value")
                value = Value(owner.shape.item or ANY, (*owner.origin, "[]")) if owner.shape.kind in ("list", "map") else UNKNOWN
        elif isinstance(node, nodes.Filter):
            value = self._filter(node, ctx)
        elif isinstance(node, nodes.Test):
            self._test(node, ctx)
            value = Value(Shape("scalar", scalar="boolean"))
        elif isinstance(node, nodes.CondExpr):
            self._expr(node.test, ctx, "test")
            first = self._expr(node.expr1, ctx.guarded(self._truthy(node.test, ctx)), use)
            second = self._expr(node.expr2, ctx.guarded(self._falsy(node.test, ctx)), use) if node.expr2 is not None else UNKNOWN
            value = replace(first if first.shape is not ANY else second, optional=False)
        elif isinstance(node, nodes.And):
            self._expr(node.left, ctx, "test")
            value = self._expr(node.right, ctx.guarded(self._truthy(node.left, ctx)), use)
        elif isinstance(node, nodes.Or):
            left = self._expr(node.left, ctx, "test")
            right = self._expr(node.right, ctx.guarded(self._falsy(node.left, ctx)), use)
            value = replace(left if left.shape is not ANY else right, optional=False)
        elif isinstance(node, nodes.Not):
            self._expr(node.node, ctx, "test")
            value = Value(Shape("scalar", scalar="boolean"))
        elif isinstance(node, nodes.Compare):
            operands = [node.expr, *(op.expr for op in node.ops)]
            ordering = any(op.op in ORDERING for op in node.ops)
            for operand in operands:
                self._expr(operand, ctx, "value" if ordering else "test")
            value = Value(Shape("scalar", scalar="boolean"))
        elif isinstance(node, nodes.Concat):
            for child in node.nodes:
                self._expr(child, ctx, "value")
            value = Value(TEXT)
        elif isinstance(node, nodes.BinExpr):
            self._expr(node.left, ctx, "value")
            self._expr(node.right, ctx, "value")
            value = UNKNOWN
        elif isinstance(node, nodes.UnaryExpr):
            self._expr(node.node, ctx, "value")
            value = UNKNOWN
        elif isinstance(node, nodes.Const):
            value = Value(TEXT) if isinstance(node.value, str) else UNKNOWN
        elif isinstance(node, nodes.Tuple | nodes.List):
            items = [self._expr(item, ctx, "pass").shape for item in node.items]
            value = Value(Shape("list", item=_common(items)))
        elif isinstance(node, nodes.Dict):
            entries: dict[str, Shape] = {}
            for pair in node.items:
                self._expr(pair.key, ctx, "pass")
                entry = self._expr(pair.value, ctx, "pass")
                if isinstance(pair.key, nodes.Const):
                    entries[str(pair.key.value)] = entry.shape
            value = Value(Shape("map", item=_common(list(entries.values()))))
        elif isinstance(node, nodes.Call):
            self._expr(node.node, ctx, "access")
            for arg in [*node.args, *(k.value for k in node.kwargs), *(x for x in (node.dyn_args, node.dyn_kwargs) if x is not None)]:
                self._expr(arg, ctx, "pass")
            value = UNKNOWN
        elif isinstance(node, nodes.Slice):
            for part in (node.start, node.stop, node.step):
                if part is not None:
                    self._expr(part, ctx, "value")
            value = UNKNOWN
        else:
            for sub in node.iter_child_nodes():
                self._expr(sub, ctx, "pass")
            value = UNKNOWN
        if value.optional and use in ("print", "value", "access") and value.origin not in ctx.guards:
            what = {"print": "skrivs ut", "value": "används", "access": "används"}[use]
            text = _text(node)
            field_path = ".".join(p for p in value.origin if p != "[]")
            named = f"'{text}'" if field_path in (text, "") else f"'{text}' ({field_path})"
            self._error(ctx, node, f"{named} är valfritt i schemat och kan saknas men {what} utan skydd; omge det med "
                                   f"{{% if {text} %}} … {{% endif %}} eller ge ett reservvärde ({text} or \"–\")", warning=True)
        return value

    def _name(self, node: nodes.Name, ctx: _Ctx) -> Value:
        found = ctx.lookup(node.name)
        if found is not None:
            return found
        if node.name in self.root:
            entry = self.root[node.name]
            if self._internal(ctx, node, node.name, entry):
                return Value(ANY, (node.name,))  # reported once; its fields say nothing more
            return Value(entry.shape, (node.name,), entry.optional, entry.markdown)
        if node.name in self.env.globals or (node.name,) in ctx.guards:
            return UNKNOWN
        known = [*self.root, *(n for frame in ctx.scope for n in frame)]
        close = difflib.get_close_matches(node.name, known, n=1)
        hint = f"; menade du '{close[0]}'?" if close else ""
        self._error(ctx, node, f"'{node.name}' finns inte i sammanhanget för {self._kind()}{hint}")
        return UNKNOWN

    def _kind(self) -> str:
        return {"arende": "ett ärendedokument", "team": "ett dokument ur ett teamunderlag", "arsrapport": "årsrapportens dokument"}.get(
            self.template.source, "mallen")

    def _internal(self, ctx: _Ctx, node: nodes.Node, text: str, entry: Field) -> bool:
        """Report an internal field reached from a document that leaves the team, or a confidential
        (`sekretess`) field reached from anything but a confidential attachment; True if it was."""
        if entry.secret and not self.template.confidential:
            self._error(ctx, node, f"'{text}' är sekretessbelagt (sekretess: true i schemat) och finns bara i en sekretessbelagd "
                                   "bilaga (front matter bilaga_till och sekretess); hänvisa till bilagan i stället")
            return True
        if entry.internal and not self.template.internal:
            audience = AUDIENCES[self.template.audience].lower()
            self._error(ctx, node, f"'{text}' är internt (intern: true i schemat) och finns inte i dokument med målgrupp {audience}; "
                                   "det lämnar aldrig teamet. Visa det bara i ett internt dokument")
            return True
        return False

    def _field(self, node: nodes.Node, owner: Value, name: str, ctx: _Ctx) -> Value:
        shape = owner.shape
        origin = (*owner.origin, name)
        if shape.kind in ("dict", "module"):
            entry = shape.fields.get(name)
            if entry is None:
                if name in ("items", "keys", "values", "get") or not shape.closed:
                    return Value(ANY, origin)
                close = difflib.get_close_matches(name, list(shape.fields), n=1)
                hint = f"; menade du '{close[0]}'?" if close else (f"; fält här: {', '.join(shape.fields)}" if len(shape.fields) <= 12 else "")
                where = f"'{_text(node.node)}'" if isinstance(node, nodes.Getattr | nodes.Getitem) else "värdet"
                self._error(ctx, node, f"fältet '{name}' finns inte i {where}{hint}")
                return Value(ANY, origin)
            if self._internal(ctx, node, _text(node), entry):
                return Value(ANY, origin)
            return Value(entry.shape, origin, entry.optional, entry.markdown)
        if shape.kind == "map":
            return Value(shape.item or ANY, origin)
        if shape.kind == "scalar":
            if shape.scalar == "string" and hasattr(str, name) or shape.scalar == "date" and name in ("year", "month", "day", "isoformat", "weekday"):
                return Value(ANY, origin)
            self._error(ctx, node, f"'{_text(node.node)}' är {SCALARS.get(shape.scalar, shape.scalar)} och har inget fält '{name}'")  # type: ignore[attr-defined]
        return Value(ANY, origin)

    def _filter_name(self, node: nodes.Filter, ctx: _Ctx) -> bool:
        if node.name in self.env.filters:
            return True
        ours = [n for n in self.env.filters if n in ("datum", "iso", "belopp", "tal", "klockslag", "janej", "person", "md", "lank", "fyll",
                                                         "bilaga")]
        close = difflib.get_close_matches(node.name, list(self.env.filters), n=1)
        hint = f"menade du '{close[0]}'? " if close else ""
        self._error(ctx, node, f"filtret '{node.name}' finns inte; {hint}mallgens egna filter: {', '.join(ours)}")
        return False

    def _filter(self, node: nodes.Filter, ctx: _Ctx) -> Value:
        known = self._filter_name(node, ctx)
        if isinstance(node.node, nodes.Filter) and node.node.name == "md" and node.name in TEXT_FILTERS - {"md", "safe"}:
            # `md` marks text as Markdown; a text filter after it returns plain text, which is escaped.
            self._error(ctx, node, f"filtret '{node.name}' efter 'md' gör texten till vanlig text igen, så att Markdown-tecknen "
                                   f"skrivs ut som tecken; sätt md sist: {_text(node.node.node) if node.node.node else 'x'} | {node.name}(…) | md")
        source = self._expr(node.node, ctx, "pass" if node.name in NONE_SAFE else "value") if node.node is not None else UNKNOWN
        args = [self._expr(arg, ctx, "pass") for arg in node.args]
        kwargs: dict[str, nodes.Node] = {str(k.key): k.value for k in node.kwargs}
        for value in kwargs.values():
            self._expr(value, ctx, "pass")
        if not known:
            return UNKNOWN
        item = source.shape.item if source.shape.kind == "list" else None
        attribute = kwargs.get("attribute")
        if node.name in ("selectattr", "rejectattr") and node.args and isinstance(node.args[0], nodes.Const):
            attribute = node.args[0]
        attribute_shape = ANY
        if item is not None and isinstance(attribute, nodes.Const) and isinstance(attribute.value, str):
            attribute_shape = self._attribute(node, item, attribute.value, ctx)
        name = node.name
        if name in ("default", "d"):
            return replace(source, optional=False)
        if name == "selectattr" and len(node.args) == 1 and isinstance(attribute, nodes.Const) and item is not None and item.kind == "dict" \
                and str(attribute.value) in item.fields:
            # `selectattr("x")` keeps the items whose x has a value: in them x is no longer optional.
            key = str(attribute.value)
            kept = Shape("dict", {**item.fields, key: replace(item.fields[key], optional=False)}, closed=item.closed)
            return Value(Shape("list", item=kept), source.origin)
        if name in LIST_FILTERS:
            return Value(source.shape if source.shape.kind == "list" else Shape("list", item=ANY), source.origin)
        if name == "map":
            return Value(Shape("list", item=attribute_shape if attribute is not None else ANY))
        if name in ("first", "last", "random", "min", "max"):
            return Value(item or ANY)
        if name == "sum":
            start = kwargs.get("start")
            if isinstance(start, nodes.List) and item is not None and item.kind == "list":
                return Value(item)
            return Value(NUMBER)
        if name in ("items", "dictsort", "groupby"):
            return Value(Shape("list", item=ANY))
        if name in NUMBER_FILTERS:
            return Value(NUMBER)
        if name in TEXT_FILTERS:
            del args
            return Value(TEXT)
        return UNKNOWN

    def _attribute(self, node: nodes.Node, item: Shape, dotted: str, ctx: _Ctx) -> Shape:
        """`selectattr("upptackt", …)`, `map(attribute="datum")`: the attribute exists on the items."""
        shape = item
        for part in dotted.split("."):
            if shape.kind == "dict" and shape.closed:
                entry = shape.fields.get(part)
                if entry is None:
                    close = difflib.get_close_matches(part, list(shape.fields), n=1)
                    hint = f"; menade du '{close[0]}'?" if close else ""
                    self._error(ctx, node, f"fältet '{part}' finns inte i listans poster{hint}")
                    return ANY
                self._internal(ctx, node, part, entry)
                shape = entry.shape
            else:
                return ANY
        return shape

    def _test(self, node: nodes.Test, ctx: _Ctx) -> None:
        if node.name not in self.env.tests:
            close = difflib.get_close_matches(node.name, list(self.env.tests), n=1)
            hint = f"; menade du '{close[0]}'?" if close else ""
            self._error(ctx, node, f"testet '{node.name}' finns inte{hint}")
        if node.name in ("defined", "undefined") and isinstance(node.node, nodes.Name) and ctx.lookup(node.node.name) is None \
                and node.node.name not in self.root:
            pass  # asking whether a name is defined is how a partial takes an optional argument
        else:
            self._expr(node.node, ctx, "test")
        for arg in node.args:
            self._expr(arg, ctx, "pass")

    # --- guards ---------------------------------------------------------------------------------

    def _origin(self, node: nodes.Node, ctx: _Ctx) -> tuple[str, ...] | None:
        """The field path an expression reads, without reporting anything."""
        if isinstance(node, nodes.Name):
            found = ctx.lookup(node.name)
            if found is not None:
                return found.origin or (node.name,)
            return (node.name,)
        if isinstance(node, nodes.Getattr):
            owner = self._origin(node.node, ctx)
            return (*owner, node.attr) if owner else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            owner = self._origin(node.node, ctx)
            return (*owner, str(node.arg.value)) if owner else None
        if isinstance(node, nodes.Filter) and node.node is not None and node.name in ("length", "count", "list", "trim", "string", "first"):
            return self._origin(node.node, ctx)
        return None

    def _truthy(self, node: nodes.Node, ctx: _Ctx) -> set[tuple[str, ...]]:
        """Field paths that have a value wherever `node` is true."""
        if isinstance(node, nodes.And):
            return self._truthy(node.left, ctx) | self._truthy(node.right, ctx)
        if isinstance(node, nodes.Or):
            return self._truthy(node.left, ctx) & self._truthy(node.right, ctx)
        if isinstance(node, nodes.Not):
            return self._falsy(node.node, ctx)
        if isinstance(node, nodes.Test):
            if node.name in ("defined", "true", "string", "number", "mapping", "sequence", "iterable", "integer", "float") \
                    or (node.name in ("eq", "equalto", "sameas", "==") and not _is_none(node.args)):
                return self._facts(node.node, ctx)
            return set()
        if isinstance(node, nodes.Compare):
            if len(node.ops) == 1 and node.ops[0].op == "eq" and _is_none_node(node.ops[0].expr):
                return set()
            return self._facts(node.expr, ctx)
        return self._facts(node, ctx)

    def _falsy(self, node: nodes.Node, ctx: _Ctx) -> set[tuple[str, ...]]:
        """Field paths that have a value wherever `node` is false."""
        if isinstance(node, nodes.Or):
            return self._falsy(node.left, ctx) | self._falsy(node.right, ctx)
        if isinstance(node, nodes.And):
            return self._falsy(node.left, ctx) & self._falsy(node.right, ctx)
        if isinstance(node, nodes.Not):
            return self._truthy(node.node, ctx)
        if isinstance(node, nodes.Test) and node.name in ("none", "undefined"):
            return self._facts(node.node, ctx)
        if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op == "eq" and _is_none_node(node.ops[0].expr):
            return self._facts(node.expr, ctx)
        return set()

    def _facts(self, node: nodes.Node, ctx: _Ctx) -> set[tuple[str, ...]]:
        origin = self._origin(node, ctx)
        return {origin} if origin else set()


def _common(shapes: list[Shape]) -> Shape:
    """The shape all of a literal's items share (all text, say), else any."""
    if shapes and all(s.kind == shapes[0].kind and s.scalar == shapes[0].scalar for s in shapes) and shapes[0].kind == "scalar":
        return shapes[0]
    return ANY


def _is_none_node(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and node.value is None or isinstance(node, nodes.Name) and node.name in ("none", "None")


def _is_none(args: Sequence[nodes.Node]) -> bool:
    return bool(args) and _is_none_node(args[0])


def _text(node: nodes.Node) -> str:
    """The expression as the template writes it, for messages: `d.mote.plats.lokal`."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_text(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        key = repr(node.arg.value) if isinstance(node.arg, nodes.Const) else _text(node.arg)
        return f"{_text(node.node)}[{key}]"
    if isinstance(node, nodes.Filter):
        return f"{_text(node.node)} | {node.name}" if node.node is not None else node.name
    if isinstance(node, nodes.Const):
        return repr(node.value)
    return "uttrycket"


def lint_template(env: jinja2.Environment, template: DocumentTemplate, root: dict[str, Field]) -> list[Problem]:
    """Every finding of the static walk over `template` (file and line of the template or partial)."""
    return TemplateLinter(env, template, root).run()


def syntax_problems(env: jinja2.Environment, path: Path, name: str) -> Iterator[Problem]:
    """Jinja syntax of one file that is not a document (a partial or the layout)."""
    try:
        source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        env.parse(source, name, filename)
    except jinja2.TemplateSyntaxError as exc:
        error = template_error(exc)
        yield Problem(str(path), error.line or 0, "", str(error).split(": mallfel: ", 1)[-1])
