"""docs/plugin_hooks.md is tested against nichevid/hookspecs.py and the test suite.

Every hook has a section headed by its exact signature, stating its calling
convention, with a Python example that compiles, runs and registers as a plugin
implementing that hook; every documented hook exists; every hook has a
``test_hook_<name>`` test somewhere under tests/.
"""

from __future__ import annotations

import ast
import re
import types
from pathlib import Path

import pluggy
import pytest

from nichevid import hookspecs
from nichevid.plugins import PROJECT

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "plugin_hooks.md"
HEADING = re.compile(r"^### `(?P<name>\w+)\((?P<args>[^)]*)\)`$", re.M)
CODE = re.compile(r"^```python\n(?P<code>.*?)^```$", re.M | re.S)
CONVENTIONS = ("collect lists", "firstresult", "gate", "slot", "event")


def hook_argnames() -> dict[str, tuple[str, ...]]:
    """Every hook in hookspecs.py with its argument names, in order."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    return {
        name: tuple(caller.spec.argnames)
        for name, caller in vars(pm.hook).items()
        if isinstance(caller, pluggy.HookCaller) and caller.spec is not None
    }


def sections() -> dict[str, tuple[tuple[str, ...], str]]:
    """``{hook: (documented argument names, section text)}`` from the docs."""
    text = DOC.read_text(encoding="utf-8")
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    matches = list(HEADING.finditer(text))
    for match in matches:
        rest = text[match.end() :]
        end = re.search(r"^#{2,3} ", rest, re.M)
        body = rest[: end.start()] if end else rest
        args = tuple(a.strip() for a in match.group("args").split(",") if a.strip())
        assert match.group("name") not in found, f"{match.group('name')} is documented twice"
        found[match.group("name")] = (args, body)
    return found


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    documented = sections()
    problems = []
    for name, argnames in sorted(hook_argnames().items()):
        if name not in documented:
            problems.append(f"{name} has no '### `{name}({', '.join(argnames)})`' section")
        elif documented[name][0] != argnames:
            problems.append(
                f"{name}: docs say ({', '.join(documented[name][0])}), "
                f"hookspecs.py says ({', '.join(argnames)})"
            )
    assert not problems, "; ".join(problems)


def test_every_documented_hook_exists() -> None:
    unknown = sorted(set(sections()) - set(hook_argnames()))
    assert not unknown, f"docs/plugin_hooks.md documents hooks that do not exist: {unknown}"


@pytest.mark.parametrize("name", sorted(hook_argnames()))
def test_section_states_convention_and_has_a_working_example(name: str) -> None:
    documented = sections()
    if name not in documented:
        pytest.fail(f"{name} is not documented")
    body = documented[name][1]
    convention = re.search(r"\*\*Convention:\*\* ([a-z ]+)[.(]", body)
    assert convention, f"{name}: no '**Convention:** ...' line"
    assert convention.group(1).strip() in CONVENTIONS, convention.group(1)
    blocks = [m.group("code") for m in CODE.finditer(body)]
    assert blocks, f"{name}: no ```python example"
    for code in blocks:
        assert "from nichevid.plugins import hookimpl" in code
        compiled = compile(code, f"docs/plugin_hooks.md ({name})", "exec")
        namespace: dict[str, object] = {"__name__": f"docs_example_{name}"}
        exec(compiled, namespace)
        # The example is a valid plugin for this hook: pluggy checks its arguments.
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(hookspecs)
        plugin = types.SimpleNamespace(**{k: v for k, v in namespace.items() if k != "__name__"})
        pm.register(plugin)
        implemented = {caller.name for caller in pm.get_hookcallers(plugin) or []}
        assert name in implemented, f"{name}: the example does not implement {name}"


def test_every_python_block_compiles() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = [m.group("code") for m in CODE.finditer(text)]
    assert len(blocks) > len(hook_argnames())
    for number, code in enumerate(blocks, 1):
        compile(code, f"docs/plugin_hooks.md block {number}", "exec")


def hooks_with_tests() -> set[str]:
    """Names ``<hook>`` of every ``test_hook_<hook>`` function under tests/."""
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_hook_"
            ):
                names.add(node.name.removeprefix("test_hook_"))
    return names


def test_every_hook_has_a_test() -> None:
    missing = sorted(set(hook_argnames()) - hooks_with_tests())
    assert not missing, "no test_hook_<name> test for: " + ", ".join(missing)
