"""``futstrat claims``: the seed article's four claims, checked on this machine."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import attrs

from futstrat.claims import CLAIMS, QUICK_SETTINGS, ClaimSettings, check_claims
from futstrat.cli.arguments import file_name, positive_int
from futstrat.cli.output import fail, keep_elsewhere_and_say
from futstrat.errors import UsageError
from futstrat.measure.environment import collect_metadata
from futstrat.numbers import parse_whole
from futstrat.report.claims_view import render_claims
from futstrat.report.files import check_writable
from futstrat.report.jsonfile import json_text, write_json
from futstrat.report.terminal import ProgressBar, Styler, is_terminal, terminal_width

CLAIMS_SCHEMA = "futstrat-claims"
CLAIMS_SCHEMA_VERSION = 1


def claim_numbers(text: str) -> list[int]:
    try:
        numbers = sorted({parse_whole(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected claim numbers like 1,3, got {text!r}") from None
    if not numbers or any(n not in CLAIMS for n in numbers):
        raise argparse.ArgumentTypeError(f"claims are numbered {min(CLAIMS)} to {max(CLAIMS)}, got {text!r}")
    return numbers


def add_parser(subparsers: Any) -> None:
    listing = "; ".join(f"{n}. {text}" for n, text in CLAIMS.items())
    parser = subparsers.add_parser(
        "claims",
        help="check the seed article's four claims on this machine",
        description=f"Measure each claim and give an honest verdict with the reason. The claims: {listing}.",
    )
    parser.add_argument("--only", type=claim_numbers, metavar="N,M", help="check only these claims, e.g. 1,3")
    parser.add_argument("--quick", action="store_true", help="smaller sizes: about ten seconds, rougher figures")
    parser.add_argument("--repeat", type=positive_int, metavar="N", help="samples per timed combination (default 3)")
    parser.add_argument("--workers", type=positive_int, metavar="N", help="pool size (default 2, as the article)")
    parser.add_argument("--start-method", choices=("fork", "spawn", "forkserver"), help="for process strategies")
    parser.add_argument("--json", metavar="FILE", type=file_name, help="save the claims, measurements and verdicts")
    parser.set_defaults(handler=handle)


def settings_from(args: argparse.Namespace) -> ClaimSettings:
    settings = QUICK_SETTINGS if args.quick else ClaimSettings()
    changes: dict[str, Any] = {"start_method": args.start_method}
    if args.repeat:
        changes["repeat"] = args.repeat
    if args.workers:
        changes["workers"] = args.workers
    return attrs.evolve(settings, **changes)


def handle(args: argparse.Namespace) -> int:
    if args.json:
        check_writable(args.json)
    settings = settings_from(args)
    progress = ProgressBar(sys.stderr) if is_terminal(sys.stderr) else None
    try:
        results = check_claims(settings, args.only, observer=progress)
    finally:
        if progress is not None:
            progress.close()
    styler = Styler.for_stream(sys.stdout) if is_terminal(sys.stdout) else None
    print(render_claims(results, styler, terminal_width(sys.stdout)))
    if args.json:
        data = {
            "schema": CLAIMS_SCHEMA,
            "schema_version": CLAIMS_SCHEMA_VERSION,
            "settings": attrs.asdict(settings),
            "metadata": collect_metadata(),
            "claims": [r.to_dict() for r in results],
        }
        try:
            print(f"wrote {write_json(args.json, data)}", file=sys.stderr)
        except (OSError, UsageError) as exc:
            fail(str(exc) if isinstance(exc, UsageError) else f"cannot write {args.json}: {exc.strerror or exc}")
            say, message = keep_elsewhere_and_say(json_text(data), "futstrat-claims")
            say(message)
            return 1
    return 0
