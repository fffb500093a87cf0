"""Beat as a deployment starts it: its own process, on a host that keeps nothing under VAR_DIR."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, Worker

pytestmark = pytest.mark.integration


def test_beat_starts_where_the_folder_of_its_schedule_does_not_exist_yet(tmp_path: Path) -> None:
    var = tmp_path / "var"  # not made: a web or beat host with DATABASE_URL and REDIS_URL set
    log = tmp_path / "beat.log"
    with log.open("w") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "matchmaker", "beat", "--loglevel=INFO"],
            cwd=ROOT,
            env={
                **os.environ,
                # Production settings: in development the secret key is kept under VAR_DIR.
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "pilots.example",
                "VAR_DIR": str(var),
                # A Redis broker: the embedded one would make its folders under VAR_DIR.
                "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
                "PYTHONUNBUFFERED": "1",
            },
            stdout=stream,
            stderr=subprocess.STDOUT,
            text=True,
        )
    beat = Worker("beat", process, log)
    try:
        beat.wait_for("beat: Starting...")
        deadline = time.monotonic() + 30
        while not list(var.glob("celerybeat-schedule*")) and time.monotonic() < deadline:
            assert process.poll() is None, f"beat stopped; its log:\n{beat.output()}"
            time.sleep(0.1)
        time.sleep(1)  # a schedule it cannot open stops beat right after it starts

        assert list(var.glob("celerybeat-schedule*")), beat.output()
        assert process.poll() is None, f"beat stopped; its log:\n{beat.output()}"
        assert "CRITICAL" not in beat.output()
    finally:
        beat.stop()
