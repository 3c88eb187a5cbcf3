"""The layer rule for the top-level modules import-linter cannot root (see pyproject)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_roots(path: Path) -> set[str]:
    """Top-level package names a module imports, wherever in the file the import is."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_cli_reaches_only_services_and_domain():
    roots = imported_roots(ROOT / "cli.py")
    assert not roots & {"desktop", "PySide6", "pyqtgraph", "db", "sqlalchemy"}
    assert "services" in roots


def test_the_checker_sees_imports_inside_functions(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from desktop.app import run_gui\n", encoding="utf-8")
    assert imported_roots(probe) == {"desktop"}
