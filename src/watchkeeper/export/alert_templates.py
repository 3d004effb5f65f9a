"""watchkeeper annotation templates (``{value:.3g}``, ``{model}``, ``{labels[feature]}``) as
Prometheus alert templates (Go ``text/template``: ``{{ printf "%.3g" $value }}``,
``{{ $labels.model }}``), and the text Prometheus renders from them for given labels and value
(what a ``promtool test rules`` file expects).

A template is parsed once into tokens; :func:`to_go` and :func:`render` are two renderings of
the same tokens, so the rules and their tests cannot disagree. Format specs with a width,
precision and type ``e f g d`` become ``printf``; ``%`` becomes ``humanizePercentage`` (four
significant digits, whatever precision was asked for); anything else prints ``$value`` as is.
Fields watchkeeper does not know are kept as written, as watchkeeper keeps them.

>>> tokens = parse("{labels[feature]} drifted on {model} ({value:.3g}, {value:.0%})", "kpi")
>>> print(to_go(tokens))
{{ $labels.feature }} drifted on {{ $labels.model }} ({{ printf "%.3g" $value }}, \
{{ humanizePercentage $value }})
>>> render(tokens, {"feature": "age", "model": "credit"}, 0.4213)
'age drifted on credit (0.421, 42.13%)'
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from watchkeeper.export.promql import RENAMED

Kind = Literal["text", "value", "label"]
Token = tuple[Kind, str]  # ("text", literal), ("value", printf format / "" / "%"), ("label", name)
Template = tuple[Token, ...]

_SPEC = re.compile(r"^([+ ]?)(\d*)(?:\.(\d+))?([eEfFgGd%]?)$")
_LABEL = re.compile(r"^labels\[([A-Za-z_][A-Za-z0-9_]*)\]$")


def parse(text: str, metric: str) -> Template:
    """The tokens of a watchkeeper annotation; ``{metric}`` is the rule's metric, a constant."""
    tokens: list[Token] = []
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:  # unbalanced braces: watchkeeper keeps such a template as written
        return (("text", text),)
    for literal, field, spec, _conversion in parts:
        if literal:
            tokens.append(("text", literal))
        if field is None:
            continue
        label = _LABEL.match(field)
        if field == "value":
            tokens.append(("value", _printf(spec or "")))
        elif field == "model":
            tokens.append(("label", "model"))
        elif field == "metric":
            tokens.append(("text", metric))
        elif label:
            tokens.append(("label", RENAMED.get(label.group(1), label.group(1))))
        else:
            tokens.append(("text", "{" + field + (f":{spec}" if spec else "") + "}"))
    merged: list[Token] = []  # adjacent text as one token, so a literal "{{" stays visible
    for token in tokens:
        if merged and token[0] == "text" and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + token[1])
        else:
            merged.append(token)
    return tuple(merged)


def _printf(spec: str) -> str:
    """A Python format spec as a Go printf verb; "" for plain, "%" for a percentage."""
    match = _SPEC.match(spec)
    if not spec or not match:
        return ""
    sign, width, precision, kind = match.groups()
    if kind == "%":
        return "%"
    if kind == "d":
        kind, precision = "f", "0"
    kind = kind or "g"
    return f"%{sign}{width}{'.' + precision if precision is not None else ''}{kind}"


def to_go(tokens: Template) -> str:
    out = []
    for kind, text in tokens:
        if kind == "text":
            out.append(text.replace("{{", '{{ "{{" }}'))
        elif kind == "label":
            out.append(f"{{{{ $labels.{text} }}}}")
        elif text == "%":
            out.append("{{ humanizePercentage $value }}")
        elif text:
            out.append(f'{{{{ printf "{text}" $value }}}}')
        else:
            out.append("{{ $value }}")
    return "".join(out)


def render(tokens: Template, labels: Mapping[str, str], value: float) -> str:
    """What Prometheus makes of :func:`to_go` for an alert with these labels and value."""
    out = []
    for kind, text in tokens:
        if kind == "text":
            out.append(text)
        elif kind == "label":
            out.append(labels.get(text, ""))
        elif text == "%":
            out.append("%.4g%%" % (value * 100))
        else:
            out.append(text % value if text else go_float(value))
    return "".join(out)


def go_float(value: float) -> str:
    """A float64 as Go's ``fmt`` prints it with ``%v``: shortest digits, an exponent below
    1e-4 and from 1e6 on.

    >>> go_float(1.5), go_float(100.0), go_float(1e-05), go_float(1234567.0), go_float(-0.25)
    ('1.5', '100', '1e-05', '1.234567e+06', '-0.25')
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    exact = Decimal(repr(value))
    exponent = exact.adjusted()
    if exponent < -4 or exponent >= 6:
        digits = "".join(map(str, exact.as_tuple().digits)).rstrip("0") or "0"
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        sign = "-" if value < 0 else ""
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return format(exact.normalize(), "f")
