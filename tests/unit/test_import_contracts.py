"""The import contracts in pyproject.toml hold for the real tree, and each one bites.

A contract that never fails proves nothing, so each is shown breaking on a deliberate violation:
the packages and the contracts are copied to a temporary folder, one offending module is added,
and ``lint-imports`` is run there. The same command runs in ``.ci/run`` on the real tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "gutback")
LAYERS = "Capability packages import only from the layers below them"
FORBIDDEN = "The core imports no platform, server or adapter"
ACYCLIC = "No import cycles anywhere in the core (between packages or between modules)"


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the tree at ``where`` (its own copy first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def broken(result: subprocess.CompletedProcess[str]) -> set[str]:
    """The names of the contracts the run reports broken."""
    return {
        line.partition(" BROKEN")[0].strip()
        for line in result.stdout.splitlines()
        if " BROKEN" in line and not line.startswith("Contracts:")
    }


def test_the_real_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_a_lower_layer_importing_a_higher_one_fails(tree: Path) -> None:
    (tree / "bot" / "base" / "shortcut.py").write_text("from bot.app import core\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    # Upward means a circle with the imports that go down, so the cycle contract objects too.
    assert broken(result) == {LAYERS, ACYCLIC}


def test_siblings_on_one_layer_stay_independent(tree: Path) -> None:
    (tree / "bot" / "chat" / "shortcut.py").write_text("from bot.knowledge import tips\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert broken(result) == {LAYERS}


def test_the_core_importing_telegram_fails(tree: Path) -> None:
    (tree / "bot" / "chat" / "shortcut.py").write_text("import telegram\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert broken(result) == {FORBIDDEN}


def test_an_import_cycle_between_two_modules_of_one_package_fails(tree: Path) -> None:
    knowledge = tree / "bot" / "knowledge"
    (knowledge / "loop_one.py").write_text("from bot.knowledge import loop_two\n")
    (knowledge / "loop_two.py").write_text("from bot.knowledge import loop_one\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert broken(result) == {ACYCLIC}
