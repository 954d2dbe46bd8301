"""The renamed-root layout: setuptools must be told every subpackage."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    # given
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    # when
    found = {
        "ventanilla" + "".join(f".{part}" for part in init.parent.relative_to(ROOT).parts)
        for init in ROOT.rglob("__init__.py")
        if not {".venv", "build", "tests", "bench"} & set(init.relative_to(ROOT).parts)
    }
    # then
    assert found == listed
    assert not any(name.startswith("ventanilla.tests") for name in listed)
