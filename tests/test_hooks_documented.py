"""Every hook is documented in the README and exercised by a test: adding one without both fails here."""

from __future__ import annotations

import pathlib

import pytest

from futstrat import hookspecs

ROOT = pathlib.Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("futstrat_"))


def test_there_are_hooks():
    assert "futstrat_register_strategies" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip()


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_in_the_readme(hook):
    assert hook in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_used_by_a_test(hook):
    this_file = pathlib.Path(__file__).resolve()
    sources = [
        p.read_text(encoding="utf-8") for p in [*ROOT.joinpath("tests").rglob("*.py")] if p.resolve() != this_file
    ]
    assert any(hook in text for text in sources), f"no test implements or checks {hook}"
