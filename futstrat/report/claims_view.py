"""``futstrat claims`` as text: each claim, what was measured, and the verdict with its reason."""

from __future__ import annotations

import textwrap

from futstrat.claims import ClaimResult, Verdict
from futstrat.report.terminal import Styler

VERDICT_STYLES = {
    Verdict.HOLDS: "good",
    Verdict.PARTLY: "warn",
    Verdict.DOES_NOT_HOLD: "bad",
    Verdict.INCONCLUSIVE: "warn",
    Verdict.NOT_MEASURED: "bad",
}
INDENT = " " * 12


def render_claim(result: ClaimResult, styler: Styler, width: int = 100) -> str:
    lines = [styler.paint(f"Claim {result.number}: {result.claim}", "bold")]
    for index, line in enumerate(result.measured):
        label = "  measured  " if index == 0 else INDENT
        lines.append(textwrap.fill(line, width, initial_indent=label, subsequent_indent=INDENT))
    verdict = result.verdict.value.upper()
    text = textwrap.fill(
        f"{verdict}: {result.explanation}", width, initial_indent="  verdict   ", subsequent_indent=INDENT
    )
    head, _, rest = text.partition(verdict)
    lines.append(head + styler.paint(verdict, VERDICT_STYLES[result.verdict]) + rest)
    for note in result.notes:
        text = textwrap.fill(note, width, initial_indent="  note      ", subsequent_indent=INDENT)
        lines.append(styler.paint(text, "warn"))
    return "\n".join(lines)


def render_claims(results: list[ClaimResult], styler: Styler | None = None, width: int | None = None) -> str:
    styler = styler or Styler(colour=False)
    return "\n\n".join(render_claim(r, styler, min(width or 100, 110)) for r in results)
