"""A worker that draws no document does not hold the document libraries (bench/README.md: some
40 MB of a worker's memory): they are imported on the first download, which then works. Nor does
one configured without Redis or MariaDB import their clients, nor Alembic (serve checks the
store's revision without it, store/version.py); nor does it hash a password as it starts."""

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


def test_a_worker_hashes_no_password_as_it_starts():
    # Argon2 takes 64 MiB for one hash: the dummy an unknown login is checked against is written
    # out, not hashed at import (it raised every worker's and every command's peak by that much)
    program = textwrap.dedent(
        """
        import json
        from pathlib import Path
        from ventanilla.auth import passwords
        # this process's own peak (ru_maxrss would carry the parent's over the exec), before any verification
        peak = next(int(line.split()[1]) // 1024 for line in Path("/proc/self/status").read_text().splitlines()
                    if line.startswith("VmHWM:"))
        current = not passwords._hasher.check_needs_rehash(passwords._dummy_hash())
        print(json.dumps({"peak_mb": peak, "current": current, "unknown": passwords._verify(None, "x")}))
        """
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["peak_mb"] < 50  # some 20 MB: the interpreter and argon2-cffi; with a hash, 85
    assert seen["current"] and seen["unknown"] is False  # with the hasher's own parameters; nobody signs in with it
