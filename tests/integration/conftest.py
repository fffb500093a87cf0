"""Real Celery workers, started as separate processes on the configured broker and the test
database, and stopped (or killed) by the tests."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from matchmaker.celery import app

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    def __init__(self, name: str, process: subprocess.Popen[str], log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = self.output()
            if text in output:
                return output
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(
            f"worker {self.name} never printed {text!r}; its log:\n{self.output()}"
        )

    def children(self) -> list[int]:
        result = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in result.stdout.split()]

    def kill(self) -> None:
        """SIGKILL every pool process, then the main process: nothing gets to clean up."""
        for pid in self.children():
            os.kill(pid, signal.SIGKILL)
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _test_database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def start_worker(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Starts workers on the test database. Queued messages of earlier tests are purged first."""
    app.control.purge()
    workers: list[Worker] = []

    def start(name: str = "w1", *, concurrency: int = 1, **env: str) -> Worker:
        log = tmp_path / f"worker-{name}-{len(workers)}.log"
        with log.open("w") as stream:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "matchmaker",
                    "worker",
                    "--loglevel=INFO",
                    f"--hostname={name}@%h",
                    "--pool=prefork",
                    f"--concurrency={concurrency}",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env={
                    **os.environ,
                    "DATABASE_URL": _test_database_url(),
                    "PYTHONUNBUFFERED": "1",
                    **env,
                },
                stdout=stream,
                stderr=subprocess.STDOUT,
                text=True,
            )
        worker = Worker(name, process, log)
        workers.append(worker)
        worker.wait_for("ready.")
        return worker

    yield start
    for worker in workers:
        worker.stop()
    app.control.purge()


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float = 60,
    every: float = 0.1,
    worker: Worker | None = None,
) -> None:
    """Polls ``condition`` until it holds; on timeout, fails with ``worker``'s log (its tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    log = f"; the worker's log ends:\n{worker.output()[-6000:]}" if worker is not None else ""
    raise AssertionError(
        f"timed out after {timeout} s waiting for {condition.__doc__ or condition}{log}"
    )
