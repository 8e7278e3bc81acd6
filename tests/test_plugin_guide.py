"""The plugin author's guide cannot fall behind the code: every hook, spec field and contract knob is in
it, and every excerpt it quotes from the example plugin is still word for word in that plugin."""

from __future__ import annotations

import inspect
import pathlib
import re

import attrs
import pytest

from futstrat import hookspecs
from futstrat.model import SharingSpec, StrategySpec
from futstrat.testing import ExecutorContract, SharingContract, WorkloadContract

ROOT = pathlib.Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "plugin-guide.md").read_text(encoding="utf-8")
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("futstrat_"))
#: A fenced block whose first line names a file of the example plugin: ```python\n# plugins/...\n
QUOTED = re.compile(r"```[a-z]*\n# (plugins/futstrat-example/\S+)\n(.*?)```", re.DOTALL)


def signature(hook: str) -> str:
    names = inspect.signature(getattr(hookspecs, hook)).parameters
    return f"{hook}({', '.join(names)})"


def knobs(contract: type) -> list[str]:
    """The class attributes a plugin's tests may set to tune a contract (fixtures and tests are callable)."""
    return sorted(name for name, value in vars(contract).items() if not name.startswith("_") and not callable(value))


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_in_the_guide_with_its_signature(hook):
    assert signature(hook) in GUIDE, f"docs/plugin-guide.md does not show {signature(hook)}"


@pytest.mark.parametrize("field", [f.name for f in attrs.fields(StrategySpec)])
def test_every_executor_spec_field_is_explained(field):
    assert f"`{field}`" in GUIDE


@pytest.mark.parametrize("field", [f.name for f in attrs.fields(SharingSpec)])
def test_every_sharing_spec_field_is_explained(field):
    assert f"`{field}`" in GUIDE


@pytest.mark.parametrize("contract", [ExecutorContract, SharingContract, WorkloadContract])
def test_every_contract_knob_is_named(contract):
    assert knobs(contract), "a contract with no knobs: the helper above has gone blind"
    missing = [name for name in knobs(contract) if f"`{name}`" not in GUIDE]
    assert not missing, f"{contract.__name__} knobs missing from the guide: {missing}"


@pytest.mark.parametrize("contract", [ExecutorContract, SharingContract, WorkloadContract])
def test_every_contract_test_is_listed_with_its_arguments(contract):
    """So that an author can mark one test xfail without reading the kit's source."""
    for name in (name for name in dir(contract) if name.startswith("test_")):
        arguments = [p for p in inspect.signature(getattr(contract, name)).parameters if p != "self"]
        row = f"| `{name}` | {', '.join(f'`{a}`' for a in arguments)} |"
        assert row in GUIDE, f"docs/plugin-guide.md does not list {contract.__name__}.{name} as {row}"


def test_the_guide_quotes_every_file_of_the_example_that_a_plugin_needs():
    quoted = {path for path, _ in QUOTED.findall(GUIDE)}
    for needed in ("pyproject.toml", "futstrat_example/plugin.py", "tests/test_conformance.py"):
        assert f"plugins/futstrat-example/{needed}" in quoted


EXCERPTS = QUOTED.findall(GUIDE)


# Ids that are the same in every process (pytest-xdist's workers must collect the same tests).
@pytest.mark.parametrize(
    ("path", "excerpt"), EXCERPTS, ids=[f"{path.rsplit('/', 1)[-1]}-{n}" for n, (path, _) in enumerate(EXCERPTS)]
)
def test_each_excerpt_is_word_for_word_in_the_example(path, excerpt):
    source = (ROOT / path).read_text(encoding="utf-8")
    assert excerpt.strip("\n") in source, f"the guide's excerpt of {path} no longer matches the file"


def test_the_readme_links_to_the_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/plugin-guide.md)" in readme
