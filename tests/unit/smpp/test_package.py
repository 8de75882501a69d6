"""The package surface: exported names, and the stdlib-only rule for the SMPP leaf."""

import ast
import sys
from pathlib import Path

import smsgate.smpp

PACKAGE = Path(smsgate.smpp.__file__).parent


def test_all_names_resolve_once() -> None:
    names = smsgate.smpp.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(smsgate.smpp, name) is not None


def test_imports_only_the_standard_library() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                allowed = top in sys.stdlib_module_names or module.startswith("smsgate.smpp")
                assert allowed, f"{path.name} imports {module}"


def test_modules_open_with_a_docstring_and_stay_small() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        source = path.read_text()
        assert ast.get_docstring(ast.parse(source)), path.name
        assert source.count("\n") < 450, path.name
