"""The public names of smsgate.text, which other packages code against."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import smsgate.text

REQUIRED = {
    "Encoding",
    "Concat",
    "TextError",
    "EmptyText",
    "TextTooLong",
    "UnencodableText",
    "InvalidUdh",
    "Segment",
    "MessagePlan",
    "plan",
    "plan_binary",
    "count_units",
    "encode",
    "decode",
    "gsm7_pack",
    "gsm7_unpack",
    "data_coding_for",
    "encoding_for_data_coding",
    "build_udh",
    "parse_udh",
    "ConcatInfo",
    "Reassembler",
    "join_parts",
    "transliterate",
}


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in vars(smsgate.text) if not name.startswith("_")}
    modules = {"encoding", "errors", "gsm7", "segments", "transliteration", "ucs2", "udh"}
    assert set(smsgate.text.__all__) == public - modules
    assert set(smsgate.text.__all__) >= REQUIRED


def test_error_codes_are_distinct() -> None:
    errors = [
        getattr(smsgate.text, name)
        for name in smsgate.text.__all__
        if isinstance(getattr(smsgate.text, name), type)
        and issubclass(getattr(smsgate.text, name), smsgate.text.TextError)
    ]
    codes = [error.code for error in errors]
    assert len(codes) == len(set(codes)) == 9


def test_enum_values() -> None:
    assert [e.value for e in smsgate.text.Encoding] == ["auto", "gsm7", "ucs2", "latin1", "binary"]
    assert [c.value for c in smsgate.text.Concat] == ["udh8", "udh16", "sar", "payload"]


def test_the_package_imports_only_the_standard_library() -> None:
    package = Path(smsgate.text.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            assert all(root in sys.stdlib_module_names for root in roots), (module.name, roots)
