"""``--markdown FILE``: the tables of ``compare`` and ``diff`` as GitHub-flavoured Markdown, for a pull request.

The rows are the terminal's own (the same columns, figures and intervals, built by the same
functions), so the page and the terminal never disagree; only the dress differs.
"""

from __future__ import annotations

from collections.abc import Sequence

from futstrat.measure.analysis import Comparison
from futstrat.report.comparison_view import columns as comparison_columns
from futstrat.report.comparison_view import row as comparison_row
from futstrat.report.comparison_view import title, verdict
from futstrat.report.diff import RunDiff, diff_heading, diff_summary, diff_table
from futstrat.report.gate import GateResult, gate_lines
from futstrat.report.table import Cell, Column


def escape(text: str) -> str:
    """A cell's text that cannot end the cell early or start a new row."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split()) or " "


def markdown_table(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> str:
    """A pipe table; numeric columns are right-aligned as in the terminal."""
    lines = ["| " + " | ".join(escape(c.header) for c in columns) + " |"]
    lines.append("| " + " | ".join("---:" if c.align == "right" else "---" for c in columns) + " |")
    lines += ["| " + " | ".join(escape(cell.text) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _paragraph(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def comparison_markdown(comparison: Comparison) -> str:
    """The ranked table with its title, verdict and warnings."""
    rows = [comparison_row(r, comparison, ascii_only=False) for r in comparison.results]
    blocks = [f"**{_paragraph(title(comparison))}**"]
    if rows:
        blocks.append(markdown_table(comparison_columns(comparison.figure), rows))
    blocks.append(_paragraph(verdict(comparison)))
    if comparison.refused:
        refusals = [f"- refused: {_paragraph(c.label)}: {_paragraph('; '.join(c.reasons))}" for c in comparison.refused]
        blocks.append("\n".join(refusals))
    if comparison.failed:
        blocks.append(
            "\n".join(
                f"- failed: {_paragraph(r.label)}: {len(r.failures)} of {r.runs} runs failed" for r in comparison.failed
            )
        )
    if comparison.warnings:
        blocks.append("\n".join(f"- warning: {_paragraph(w)}" for w in comparison.warnings))
    return "\n\n".join(blocks) + "\n"


def diff_markdown(diff: RunDiff, gate: GateResult | None = None) -> str:
    """The diff's table with its summary, the gate's verdict when there is a gate, and the notes."""
    columns, rows = diff_table(diff, ascii_only=False)
    blocks = [f"**{_paragraph(diff_heading(diff))}**", markdown_table(columns, rows), diff_summary(diff)]
    if gate is not None:
        blocks.append(_gate_markdown(gate))
    if diff.notes:
        blocks.append("\n".join(f"- note: {_paragraph(n)}" for n in diff.notes))
    return "\n\n".join(blocks) + "\n"


def _gate_markdown(gate: GateResult) -> str:
    """The verdict in bold, each group a list: the same lines as the terminal's."""
    verdict_line, *rest = gate_lines(gate)
    lines = [f"**{_paragraph(verdict_line)}**"]
    for line in rest:
        if line.startswith("  "):
            lines.append(f"  - {_paragraph(line)}")
        else:
            lines.append(f"- {_paragraph(line)}")
    return "\n".join(lines)


def compare_markdown(comparison: Comparison, diff: RunDiff | None = None, gate: GateResult | None = None) -> str:
    """What ``compare --markdown`` writes: the comparison, then what changed since the baseline."""
    text = comparison_markdown(comparison)
    if diff is not None:
        text += "\n" + diff_markdown(diff, gate)
    return text
