"""pyproject.toml declares only what the package uses and ships only files that exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "smsgate"

# Used without an import of their own: Starlette parses forms with python-multipart,
# SQLAlchemy loads asyncpg for postgresql+asyncpg URLs, and uvicorn's httptools protocol
# (api/http_limits.py) parses HTTP with httptools.
INDIRECT = {"python-multipart", "asyncpg", "httptools"}
IMPORT_NAMES = {"prometheus-client": "prometheus_client"}


def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        data: dict[str, object] = tomllib.load(file)
    return data


def _distribution(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert found, requirement
    return found.group(0).lower()


def test_every_runtime_dependency_is_imported() -> None:
    project = _project()["project"]
    assert isinstance(project, dict)
    sources = "\n".join(path.read_text() for path in PACKAGE.rglob("*.py"))
    unused = []
    for requirement in project["dependencies"]:
        name = _distribution(requirement)
        if name in INDIRECT:
            continue
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        if not re.search(rf"^\s*(import|from) {module}\b", sources, re.MULTILINE):
            unused.append(name)
    assert unused == []


def test_package_data_names_files_that_exist() -> None:
    tool = _project()["tool"]
    assert isinstance(tool, dict)
    patterns = tool["setuptools"]["package-data"]["smsgate"]
    assert [p for p in patterns if not list(PACKAGE.glob(p))] == []
