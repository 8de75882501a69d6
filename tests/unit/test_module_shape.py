"""Every module of the package says what it owns in a short docstring and stays small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "smsgate"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 450
MAX_DOCSTRING_LINES = 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_has_a_short_docstring_and_at_most_450_lines(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert source.count("\n") <= MAX_LINES
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring, "no module docstring"
    assert len(docstring.splitlines()) <= MAX_DOCSTRING_LINES


def test_the_rule_sees_every_package() -> None:
    relative = [p.relative_to(PACKAGE).parts for p in MODULES]
    packages = {parts[0] for parts in relative if len(parts) > 1}
    assert {"api", "core", "services", "store", "smpp", "text", "webhooks"} <= packages
