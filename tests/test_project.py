"""The project's own promises: two-command quick start, CI runs the README's test command, layout."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from pressline import schema
from tests.conftest import ROOT


def quickstart_commands(readme: str) -> list[str]:
    """Same reading as the shared quickstart tool: the first fenced block after the heading."""
    heading = re.search(r"^#+ .*quick[ -]?start.*$", readme, re.IGNORECASE | re.MULTILINE)
    assert heading, "README has no Quick start heading"
    block = re.search(r"^```[^\n]*\n(.*?)^```", readme[heading.end():], re.DOTALL | re.MULTILINE)
    assert block, "no fenced block after the Quick start heading"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quickstart_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) == 2
    assert commands[0].endswith("pressline run")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert commands[1] in ci_lines


def test_layout_from_the_design_card() -> None:
    for name in ("pyproject.toml", "README.md", "uv.lock", "pressline", "flows", "raw", "staging", "warehouse",
                 "expectations", "tests"):
        assert (ROOT / name).exists(), name
    for stage in ("ingest", "clean", "extract", "validate", "load", "schema"):
        assert (ROOT / "pressline" / f"{stage}.py").is_file(), stage
    assert len(list((ROOT / "raw").glob("*.txt"))) == 5


def test_engine_does_not_import_prefect() -> None:
    for path in (ROOT / "pressline").rglob("*.py"):
        if path.name == "cli.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "prefect" not in imported, path


def test_readme_documents_the_tables_from_the_schema() -> None:
    assert schema.markdown() in (ROOT / "README.md").read_text(encoding="utf-8")
