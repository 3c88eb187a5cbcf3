"""Every stylesheet lives in resources/style.qss: the application's rules, and sections a
panel or dialog sets on itself with theme.section (issue #10)."""

import ast
from pathlib import Path

import pytest

from desktop import theme

ROOT = Path(__file__).resolve().parents[2]


def test_the_sections_are_left_out_of_the_applications_stylesheet():
    app = theme.stylesheet()
    for name in ("tabs-and-tables", "dashboard", "callbacks", "chart-card", "spec-dialog"):
        text = theme.section(name)
        assert "{" in text and text not in app
    assert "@ICONS@" not in app and "@ICONS@" not in theme.section("spec-dialog")
    with pytest.raises(KeyError):
        theme.section("nowhere")


def test_no_widget_carries_an_inline_stylesheet():
    inline = []
    for path in (ROOT / "desktop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "setStyleSheet"
                and node.args
                and not isinstance(node.args[0], ast.Call | ast.BinOp)
            ):
                inline.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert inline == []
