"""A worker that draws no document does not hold the document libraries (bench/README.md: some
40 MB of a worker's memory): they are imported on the first download, which then works. Nor does
one configured without Redis or MariaDB import their clients, nor Alembic (serve checks the
store's revision without it, store/version.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

DOCUMENT_LIBRARIES = ("fpdf", "openpyxl", "segno", "pypdf", "stream_zip")
UNCONFIGURED_CLIENTS = ("redis", "asyncmy", "alembic")

PROGRAM = textwrap.dedent(
    """
    import json, sys
    from ventanilla.web.app import create_app
    create_app()
    before = [m for m in {libraries!r} + {clients!r} if m in sys.modules]
    from ventanilla.render.pdf import invoice_pdf  # what the first invoice download imports
    print(json.dumps({{"before": before, "after": [m for m in {libraries!r} if m in sys.modules]}}))
    """
)


def test_the_app_imports_the_document_libraries_only_when_a_document_is_drawn(tmp_path):
    # given an app made as `ventanilla serve` makes it, on a fresh interpreter
    env = {"VENTANILLA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'v.db'}", "VENTANILLA_SECRET_KEY": "k" * 40,
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    program = PROGRAM.format(libraries=DOCUMENT_LIBRARIES, clients=UNCONFIGURED_CLIENTS)
    # when
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120)
    # then
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["before"] == []
    assert {"fpdf", "segno"} <= set(loaded["after"])
