"""The counter session and the desktop's error mapping import no widgets: they are driven
by tests without any, and a widget creeping in would tie them to a screen."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDGET_FREE = [*sorted((ROOT / "desktop" / "counter").glob("*.py")), ROOT / "desktop" / "errors.py"]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_counter_session_imports_no_widgets():
    assert len(WIDGET_FREE) >= 2
    for path in WIDGET_FREE:
        assert not {
            n for n in imported(path) if n.startswith(("PySide6.QtWidgets", "PySide6.QtGui"))
        }, path


def test_the_check_sees_a_widget_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from PySide6.QtWidgets import QLabel\n", encoding="utf-8")
    assert "PySide6.QtWidgets" in imported(probe)
