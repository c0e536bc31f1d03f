"""The test suite stops the embedded PostgreSQL it started itself, and leaves one it found running."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from postal.store.database import embedded_server_running, stop_embedded_server

ROOT = Path(__file__).resolve().parents[2]
ONE_TEST = "tests/integration/test_signin.py::test_success_clears_the_user_count"


def run_suite(test_data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["POSTAL_TEST_DATA_DIR"] = str(test_data_dir)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_TEST], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=False)


def test_suite_stops_only_the_server_it_started():
    # Not under pytest's tmp_path: as root, pgserver's "pgserver" user cannot enter /tmp/pytest-of-root.
    base = Path(tempfile.mkdtemp(prefix="postal-suite-"))
    base.chmod(0o755)
    pgdata = base / "pg"
    try:
        result = run_suite(base)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        assert (pgdata / "PG_VERSION").exists()  # it did run on its own embedded server…
        assert not embedded_server_running(pgdata)  # …and stopped it at the end

        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"POSTAL_DATA_DIR": str(base)}
        started = subprocess.run([sys.executable, "-m", "postal.cli", "migrate"], env=env, capture_output=True,
                                 text=True, timeout=180, check=False)
        assert started.returncode == 0 and embedded_server_running(pgdata), started.stderr
        result = run_suite(base)
        assert result.returncode == 0, result.stdout[-3000:]
        assert embedded_server_running(pgdata)  # someone else's server: left running
    finally:
        stop_embedded_server(pgdata)
        shutil.rmtree(base, ignore_errors=True)
