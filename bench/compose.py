"""Up and down of examples/wordpress through Pier against the same files by hand.

By hand means the same compose binary that Pier runs (`compose_binary()`),
`up --detach --build --wait` and `down --volumes` in a copy of the folder.
Through Pier means a compose project whose jobs run the same commands in a
worker, timed from queueing the job until it is recorded as finished. Images
are built once before the timed rounds, so each up reuses the build cache, as
a redeploy does. Rounds alternate between the two.

Then the delay from `docker stop` of the project's `web` container to the
message on the project page's websocket (`/ws/compose/<id>/`).

Usage: .venv/bin/python bench/compose.py [ROUNDS]
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import harness  # noqa: F401  (sets up Django)
from harness import ROOT, WORK_DIR, make_user, start_pier, summary
from websockets.sync.client import connect

from containers.compose import compose_binary
from containers.docker_client import client_for
from containers.models import Container, Job
from containers.services import compose_projects
from containers.services.compose_jobs import start_action, up_args
from containers.services.ports import free_port

EXAMPLE = ROOT / "examples" / "wordpress"


def by_hand(name: str, folder, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [*compose_binary(), "--project-name", name, *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def through_pier(project, user, action: str, args: list[str]) -> float:
    started = time.perf_counter()
    job = start_action(project, user, action, args)
    while True:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    if job.state != Job.SUCCEEDED:
        raise RuntimeError(f"{job.title} failed: {job.error}")
    return elapsed


def make_pier_project(user, team, host, port: int):
    folder = WORK_DIR / "wordpress-upload"
    shutil.copytree(EXAMPLE, folder)
    return compose_projects.create_project(
        name=f"bench_pier_{uuid.uuid4().hex[:6]}",
        team=team,
        host=host,
        user=user,
        compose_file=(EXAMPLE / "compose.yaml").read_text(),
        env_file=f"WP_PORT={port}\n",
        archive_path=str(folder),
    )


def session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def event_delays(stack, project, user, rounds: int) -> list[float]:
    """Return seconds from `docker stop` returning to the page's message."""
    container = Container.objects.get(
        host=project.host, compose_project=project.name, compose_service="web"
    )
    api = client_for(project.host).api
    url = stack.base_url.replace("http://", "ws://") + f"/ws/compose/{project.pk}/"
    headers = {"Cookie": f"sessionid={session_cookie(user)}", "Origin": stack.base_url}
    delays = []
    with connect(url, additional_headers=headers) as socket:
        for _ in range(rounds):
            api.stop(container.docker_id, timeout=0)
            stopped = time.perf_counter()
            while json.loads(socket.recv(timeout=10)).get("state") != "exited":
                pass
            delays.append(time.perf_counter() - stopped)
            api.start(container.docker_id)
            while json.loads(socket.recv(timeout=10)).get("state") != "running":
                pass
    return delays


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    stack, host = start_pier()
    user, team = make_user()
    hand_folder = WORK_DIR / "wordpress-hand"
    shutil.copytree(EXAMPLE, hand_folder)
    hand_name = f"bench_hand_{uuid.uuid4().hex[:6]}"
    os.environ["WP_PORT"] = str(free_port(host))
    project = make_pier_project(
        user, team, host, free_port(host, {int(os.environ["WP_PORT"])})
    )
    up = up_args(build=True, wait=True, wait_timeout=300)
    times: dict[str, list[float]] = {
        "hand up": [],
        "hand down": [],
        "pier up": [],
        "pier down": [],
    }
    try:
        by_hand(hand_name, hand_folder, "build")
        through_pier(project, user, "up", up)
        through_pier(project, user, "down", ["down", "--volumes"])
        for _ in range(rounds):
            times["hand up"].append(by_hand(hand_name, hand_folder, *up))
            times["hand down"].append(
                by_hand(hand_name, hand_folder, "down", "--volumes")
            )
            times["pier up"].append(through_pier(project, user, "up", up))
            times["pier down"].append(
                through_pier(project, user, "down", ["down", "--volumes"])
            )
        through_pier(project, user, "up", up)
        time.sleep(1)
        delays = event_delays(stack, project, user, 10)
    finally:
        by_hand(hand_name, hand_folder, "down", "--volumes", "--rmi", "local")
        by_hand(project.name, hand_folder, "down", "--volumes", "--rmi", "local")
        stack.stop()
    report(times, delays)


def report(times: dict[str, list[float]], delays: list[float]) -> None:
    for name, values in times.items():
        figures = summary(values)
        print(f"{name:10} median {figures['median']:.2f} s  min {figures['min']:.2f} s")
    for step in ("up", "down"):
        ratio = (
            summary(times[f"pier {step}"])["median"]
            / summary(times[f"hand {step}"])["median"]
        )
        print(f"{step}: Pier / by hand = {ratio:.2f}")
    figures = summary([delay * 1000 for delay in delays])
    print(
        f"docker stop -> websocket message: median {figures['median']:.1f} ms, "
        f"p95 {figures['p95']:.1f} ms, min {figures['min']:.1f} ms"
    )


if __name__ == "__main__":
    main()
