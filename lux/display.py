"""`repr(model)` in Lux's layout: one line per leaf layer with its parameter count at column 50,
containers opening and closing around their named children, and the totals under the last line.

    Chain(
        layer_1 = Dense(128 => 256, tanh),            # 33_024 parameters
        layer_2 = Dense(256 => 10),                   # 2_570 parameters
    )         # Total: 35_594 parameters,
              #        plus 0 states.

Also the pieces layers build their one-line `summary()` from, in Lux's spelling: a function's name,
the activation and the flags Lux shows only away from their defaults (`, relu, use_bias=false`),
Julia's `true`/`false`, and a tuple that is one number when all its entries are equal.
"""

from __future__ import annotations

from lux import activations
from lux.core import AbstractLayer, layer

__all__ = ["Line", "activation_note", "child_lines", "count_note", "flag_notes", "function_name", "julia_bool",
           "layer_lines", "render", "tuple_string", "window_note", "with_totals"]

COMMENT_COLUMN = 50  # where a layer line's `# N parameters` starts
TOTALS_COLUMN = 10  # where the `# Total:` comment under a container starts


# -- a layer's one-line summary ------------------------------------------------------------------

def function_name(f) -> str:
    """How Lux shows a function (an activation, a connection): its name."""
    return getattr(f, "__name__", repr(f))


def activation_note(activation) -> str:
    """`, relu` after a layer's sizes; nothing for the identity, which Lux leaves out."""
    return "" if activation is activations.identity else f", {function_name(activation)}"


def julia_bool(flag: bool) -> str:
    return "true" if flag else "false"


def flag_notes(**flags: tuple[bool, bool]) -> str:
    """`, use_bias=false` for each flag away from its default, in the order given: `name=(value, default)`."""
    return "".join(f", {name}={julia_bool(value)}" for name, (value, default) in flags.items() if value != default)


def tuple_string(values: tuple) -> str:
    """Lux's `PrettyPrinting.tuple_string`: one number when all are equal, else the tuple."""
    return str(values[0]) if all(v == values[0] for v in values) else str(values)


def window_note(pad: tuple, stride: tuple, dilation: tuple, *, default_stride: tuple) -> str:
    """`, pad=1, stride=2, dilation=2` of a convolution or pool, each only away from its default."""
    text = ""
    if any(p != 0 for p in pad):
        text += f", pad={tuple_string(pad)}"
    if stride != default_stride:
        text += f", stride={tuple_string(stride)}"
    if any(d != 1 for d in dilation):
        text += f", dilation={tuple_string(dilation)}"
    return text


@layer
class Line(AbstractLayer):
    """Display only: a container's piece that is not a layer (a connection function, a compact
    keyword's value), printed `name = text,` among the container's children."""

    text: str

    def summary(self) -> str:
        return self.text


# -- whole models --------------------------------------------------------------------------------

def count_note(parameters: int, states: int, *, repeats: int = 1) -> str:
    """`33_024 parameters`, `6 parameters, plus 7 states`, `3_168 (1_056 x 3) parameters`."""
    each = f" ({parameters // repeats:_} x {repeats})" if repeats > 1 else ""
    note = f"{parameters:_}{each} parameters"
    if states:
        note += f", plus {states:_} states"
    return note


def _with_comment(text: str, comment: str | None) -> str:
    if comment is None:
        return text
    return f"{text.ljust(COMMENT_COLUMN - 1)} # {comment}" if len(text) < COMMENT_COLUMN - 1 else f"{text}  # {comment}"


def child_lines(layer, indent: str) -> list[str]:
    """The lines of `layer`'s children, each `name = ...,` at `indent` (runs of equal layers grouped)."""
    lines = []
    items = list(layer.children().items())
    i = 0
    while i < len(items):
        name, child = items[i]
        run = _equal_run(items, i) if getattr(layer, "group_repeats", False) else 1
        label = f"({i + 1}-{i + run})" if run > 1 else name
        lines.extend(layer_lines(child, f"{label} = ", indent, repeats=run))
        i += run
    return lines


def _equal_run(items, start: int) -> int:
    run = 1
    while start + run < len(items) and items[start + run][1] == items[start][1]:
        run += 1
    return run


def layer_lines(layer, prefix: str, indent: str, *, repeats: int = 1) -> list[str]:
    """`layer` as it appears inside a container: one commented line, or an opening line, children, `),`."""
    if layer.children():
        return ([f"{indent}{prefix}{layer.display_name()}("] + child_lines(layer, indent + "    ")
                + [f"{indent}),"])
    parameters, states = layer.parameterlength() * repeats, layer.statelength() * repeats
    # As Lux: a layer line carries a count only when the layer has parameters (a Dropout line has none).
    note = count_note(parameters, states, repeats=repeats) if parameters else None
    return [_with_comment(f"{indent}{prefix}{layer.summary()},", note)]


def with_totals(lines: list[str], parameters: int, states: int) -> str:
    """`lines` with Lux's totals: `# Total: N parameters,` after the last (closing) line, the states under it."""
    *body, last = lines
    return "\n".join(body + [f"{last.ljust(TOTALS_COLUMN)}# Total: {parameters:_} parameters,",
                             f"{' ' * TOTALS_COLUMN}#        plus {states:_} states."])


def render(layer) -> str:
    """The whole model: a leaf on one line, a container with its totals."""
    if not layer.children():
        parameters, states = layer.parameterlength(), layer.statelength()
        return _with_comment(layer.summary(), count_note(parameters, states) if parameters else None)
    lines = [f"{layer.display_name()}("] + child_lines(layer, "    ") + [")"]
    return with_totals(lines, layer.parameterlength(), layer.statelength())
