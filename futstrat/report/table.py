"""Tables in two dresses: plain text for pipes and files, boxed and coloured for a terminal.

The plain form has no control codes and only ASCII, so it diffs and greps well. The terminal form
draws borders, colours the cells that matter and drops the least important columns that do not fit.
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from futstrat.report.terminal import Styler


@frozen
class Column:
    header: str
    align: str = "left"  # or "right", for numbers
    #: Columns with a higher number are dropped first when a terminal is too narrow; 0 never is.
    drop_order: int = 0


@frozen
class Cell:
    text: str
    style: str = ""  # a Styler style name: "good", "bad", "warn", "dim", "bold" or ""


def _align(text: str, width: int, align: str) -> str:
    return text.rjust(width) if align == "right" else text.ljust(width)


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> list[int]:
    return [max([len(col.header)] + [len(row[i].text) for row in rows]) for i, col in enumerate(columns)]


def render_plain(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> str:
    """Columns separated by two spaces, a dashed rule under the headers, no trailing spaces."""
    widths = _widths(columns, rows)
    lines = ["  ".join(_align(c.header, w, c.align) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(_align(cell.text, w, c.align) for cell, c, w in zip(row, columns, widths)).rstrip())
    return "\n".join(lines)


def fit_columns(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int | None) -> list[int]:
    """Indexes of the columns to keep so that a boxed table fits ``width`` characters."""
    keep = list(range(len(columns)))
    if width is None:
        return keep
    widths = _widths(columns, rows)

    def boxed_width(indexes: list[int]) -> int:
        return sum(widths[i] + 3 for i in indexes) + 1

    droppable = sorted((i for i in keep if columns[i].drop_order > 0), key=lambda i: -columns[i].drop_order)
    for index in droppable:
        if boxed_width(keep) <= width:
            break
        keep.remove(index)
    return keep


def render_boxed(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], styler: Styler, width: int | None = None
) -> str:
    """A bordered table for a terminal; cells are styled after padding so widths stay right."""
    keep = fit_columns(columns, rows, width)
    cols = [columns[i] for i in keep]
    body = [[row[i] for i in keep] for row in rows]
    widths = _widths(cols, body)
    box = styler.box

    def rule(left: str, middle: str, right: str) -> str:
        return styler.paint(left + middle.join(box.horizontal * (w + 2) for w in widths) + right, "dim")

    bar = styler.paint(box.vertical, "dim")
    header = bar + bar.join(f" {styler.paint(_align(c.header, w, c.align), 'bold')} " for c, w in zip(cols, widths))
    lines = [rule(*box.top), header + bar, rule(*box.middle)]
    for row in body:
        cells = (
            f" {styler.paint(_align(cell.text, w, c.align), cell.style)} " for cell, c, w in zip(row, cols, widths)
        )
        lines.append(bar + bar.join(cells) + bar)
    lines.append(rule(*box.bottom))
    return "\n".join(lines)
