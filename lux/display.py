"""`repr(model)` in Lux's layout: one line per leaf layer with its parameter count at column 50,
containers opening and closing around their named children, and the totals under the last line.

    Chain(
        layer_1 = Dense(128 => 256, tanh),            # 33_024 parameters
        layer_2 = Dense(256 => 10),                   # 2_570 parameters
    )         # Total: 35_594 parameters,
              #        plus 0 states.
"""

from __future__ import annotations

COMMENT_COLUMN = 50


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


def render(layer) -> str:
    """The whole model: a leaf on one line, a container with its totals."""
    if not layer.children():
        parameters, states = layer.parameterlength(), layer.statelength()
        return _with_comment(layer.summary(), count_note(parameters, states) if parameters else None)
    lines = [f"{layer.display_name()}("] + child_lines(layer, "    ") + [")"]
    pad = " " * 9
    lines[-1] += f"{pad}# Total: {layer.parameterlength():_} parameters,"
    lines.append(f"{' ' * 10}#        plus {layer.statelength():_} states.")
    return "\n".join(lines)
