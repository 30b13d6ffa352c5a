"""Runs Pier's real processes for tests: the ASGI server, a worker, the watcher.

They open the test database, so data a test commits is what they see.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_env() -> dict[str, str]:
    """Point child processes at the test database this process created."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return {"PIER_SQLITE_PATH": str(settings["NAME"])}
    user = quote(settings["USER"] or "")
    password = quote(settings["PASSWORD"] or "")
    credentials = f"{user}@" if user else ""
    if password:
        credentials = f"{user}:{password}@"
    return {
        "DATABASE_URL": (
            f"postgres://{credentials}{settings['HOST']}:{settings['PORT'] or 5432}/"
            f"{settings['NAME']}"
        )
    }


class PierStack:
    """The web server, a Celery worker and the host watcher as child processes."""

    def __init__(self, log_dir: Path):
        self.port = free_tcp_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            **database_env(),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PIER_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(process)

    def start(self) -> "PierStack":
        bin_dir = Path(sys.executable).parent
        self._spawn(
            "web",
            [
                sys.executable,
                "manage.py",
                "serve",
                "--port",
                str(self.port),
            ],
        )
        self._spawn(
            "worker",
            [
                str(bin_dir / "celery"),
                "-A",
                "dashboard",
                "worker",
                "--pool=threads",
                "--concurrency=4",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
        )
        self._spawn("watcher", [sys.executable, "manage.py", "watch_hosts"])
        self._wait_for_web()
        return self

    def log_text(self, name: str) -> str:
        """Return what a child process has written so far (web, worker, watcher)."""
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def _wait_for_web(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base_url + "/login/", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"Pier did not start; see {self.log_dir}/web.log")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
