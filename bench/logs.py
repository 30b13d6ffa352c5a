"""Log lines per second delivered to a page's websocket against `docker logs -f`.

Rounds alternate between the two sides, and the medians are compared. Each
side follows its own busybox container that waits three seconds, then
prints LINES numbered lines as fast as it can. The rate is lines divided by the
time from the first line to the last line at the reader. Pier's side also
checks that every line arrived once and in order.

Usage: .venv/bin/python bench/logs.py [LINES] [ROUNDS]
"""

import json
import statistics
import subprocess
import sys
import time

import harness  # noqa: F401  (sets up Django)
from harness import make_user, start_pier
from websockets.sync.client import connect

from containers.docker_client import client_for
from containers.models import Container
from tests.conftest import session_cookie

PRINTER = "sleep 3; seq 1 {lines}; sleep 600"


def start_printer(api, lines: int) -> str:
    created = api.create_container(
        "busybox:latest",
        command=["sh", "-c", PRINTER.format(lines=lines)],
        name=f"pier-bench-logs-{time.time_ns()}",
    )
    api.start(created["Id"])
    return created["Id"]


def plain_docker(api, lines: int) -> float:
    container_id = start_printer(api, lines)
    try:
        reader = subprocess.Popen(
            ["docker", "logs", "-f", container_id], stdout=subprocess.PIPE
        )
        first = None
        for count, _ in enumerate(reader.stdout, start=1):
            if first is None:
                first = time.perf_counter()
            if count == lines:
                break
        elapsed = time.perf_counter() - first
        reader.kill()
        return lines / elapsed
    finally:
        api.remove_container(container_id, force=True)


def texts(message: dict) -> list[str]:
    """Return the texts of a log message's lines, without their timestamps."""
    if message["type"] == "lines":
        return [text for _, _, text in message["lines"]]
    if message["type"] == "text":
        return [
            row.partition(" ")[2]
            for _, block in message["blocks"]
            for row in block.splitlines()
        ]
    return []


def through_pier(api, stack, user, lines: int) -> tuple[float, bool]:
    container_id = start_printer(api, lines)
    try:
        deadline = time.monotonic() + 10
        while not (row := Container.objects.filter(docker_id=container_id).first()):
            if time.monotonic() > deadline:
                raise RuntimeError("container never reached the mirror")
            time.sleep(0.05)
        url = (
            stack.base_url.replace("http://", "ws://")
            + f"/ws/containers/{row.pk}/logs/?tail=0"
        )
        headers = {
            "Origin": stack.base_url,
            "Cookie": f"sessionid={session_cookie(user)}",
        }
        expected, first, in_order = 1, None, True
        with connect(url, additional_headers=headers, max_size=None) as socket:
            while expected <= lines:
                message = json.loads(socket.recv(timeout=60))
                for text in texts(message):
                    if first is None:
                        first = time.perf_counter()
                    in_order = in_order and text == str(expected)
                    expected += 1
        return lines / (time.perf_counter() - first), in_order and expected == lines + 1
    finally:
        api.remove_container(container_id, force=True)


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    stack, host = start_pier()
    user, _ = make_user()
    api = client_for(host).api
    docker_rates, pier_rates, complete = [], [], True
    try:
        for _ in range(rounds):
            docker_rates.append(plain_docker(api, lines))
            rate, whole = through_pier(api, stack, user, lines)
            pier_rates.append(rate)
            complete = complete and whole
    finally:
        stack.stop()
    docker_rate = statistics.median(docker_rates)
    pier_rate = statistics.median(pier_rates)
    print(f"lines: {lines}, rounds: {rounds} (alternating; medians below)")
    print(f"docker logs -f:   {docker_rate:,.0f} lines/s")
    print(
        f"Pier websocket:   {pier_rate:,.0f} lines/s "
        f"({100 * pier_rate / docker_rate:.0f}% of docker logs -f)"
    )
    print(f"every line once and in order, every round: {complete}")


if __name__ == "__main__":
    main()
