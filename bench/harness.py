"""A private Pier for benchmarks: its own SQLite file, queue and channel prefix.

Import this module first: it sets the environment before Django loads settings.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK_DIR = Path(tempfile.mkdtemp(prefix="pier-bench-"))
os.environ.setdefault("PIER_INSTANCE", f"pier-bench-{os.getpid()}")
os.environ["PIER_VAR_DIR"] = str(WORK_DIR)
os.environ["PIER_SQLITE_PATH"] = str(WORK_DIR / "bench.sqlite3")
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ.setdefault("PIER_LOCAL_SOURCE_ROOTS", "/")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from containers.models import DockerHost, Profile, Team  # noqa: E402
from containers.services.hosts import register_local_host  # noqa: E402
from tests.stack import PierStack  # noqa: E402


def start_pier() -> tuple[PierStack, DockerHost]:
    """Migrate a fresh database and start the web server, a worker and the watcher."""
    call_command("migrate", verbosity=0)
    host = register_local_host()
    log_dir = WORK_DIR / "logs"
    log_dir.mkdir(exist_ok=True)
    stack = PierStack(log_dir).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        host.refresh_from_db()
        if host.status == DockerHost.ONLINE:
            return stack, host
        time.sleep(0.2)
    stack.stop()
    raise RuntimeError(f"The watcher did not sync the local host; see {log_dir}")


def make_user(role: str = Profile.OPERATOR):
    from django.contrib.auth import get_user_model

    team, _ = Team.objects.get_or_create(name="bench")
    user, _ = get_user_model().objects.get_or_create(username=f"bench-{role}")
    Profile.objects.get_or_create(user=user, defaults={"role": role})
    team.members.add(user)
    return user, team


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": ordered[len(ordered) // 2],
        "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "min": ordered[0],
    }
