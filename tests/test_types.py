"""The package type-checks with mypy (settings in pyproject.toml), so annotations stay true."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_type_checks(tmp_path: Path) -> None:
    package = tmp_path / "ventanilla"
    package.symlink_to(ROOT)  # the package is the repository root (pyproject's package-dir)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", str(package), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
