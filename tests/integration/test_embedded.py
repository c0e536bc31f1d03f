"""The default a new user gets: no DATABASE_URL, an embedded PostgreSQL shared by several processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _stop_embedded(pgdata: Path) -> None:
    pid_file = pgdata / "postmaster.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + 20
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)


def test_concurrent_commands_share_one_embedded_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["POSTAL_DATA_DIR"] = str(tmp_path / "data")
    try:
        procs = [
            subprocess.Popen([sys.executable, "-m", "postal.cli", *args], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for args in (("migrate",), ("migrate",), ("post-office", "add", "PO-9", "--name", "Bưu cục",
                                                      "--province-code", "25"))
        ]
        outputs = [p.communicate(timeout=180) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], outputs
        again = subprocess.run([sys.executable, "-m", "postal.cli", "post-office", "add", "PO-9", "--name", "X",
                                "--province-code", "25"], env=env, capture_output=True, text=True, timeout=120,
                               check=False)
        assert again.returncode != 0 and "PO-9" in again.stderr  # the same database, seen by a new process
        assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0
    finally:
        _stop_embedded(tmp_path / "data" / "pg")
