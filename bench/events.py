"""Delay from a container state change to the update on the page's websocket.

Each round stops, then starts, a busybox container with the Docker SDK. The
baseline is the same change arriving on a plain Docker event stream in this
process; Pier's figure is the matching `mirror.change` message arriving on the
websocket a page opens (`/ws/hosts/<id>/events/`). Both are measured from the
event's own time stamp (`timeNano`), on the same clock.

Usage: .venv/bin/python bench/events.py [ROUNDS]
"""

import json
import sys
import threading
import time

import harness  # noqa: F401  (sets up Django)
from harness import make_user, start_pier, summary
from websockets.sync.client import connect

from containers.docker_client import client_for
from tests.conftest import session_cookie

STATES = {"die": "exited", "start": "running"}


def follow_docker(api, container_id: str, arrivals: dict, stop: threading.Event):
    stream = api.events(decode=True, filters={"container": container_id})
    for event in stream:
        if event.get("Action") in STATES:
            arrivals[(STATES[event["Action"]], event["timeNano"])] = time.time_ns()
        if stop.is_set():
            break
    stream.close()


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    stack, host = start_pier()
    user, _ = make_user()
    api = client_for(host).api
    container = api.create_container(
        "busybox:latest",
        command=["sleep", "3600"],
        name=f"pier-bench-events-{time.time_ns()}",
    )
    container_id = container["Id"]
    api.start(container_id)
    docker_arrivals: dict = {}
    stop = threading.Event()
    follower = threading.Thread(
        target=follow_docker,
        args=(api, container_id, docker_arrivals, stop),
        daemon=True,
    )
    follower.start()
    url = stack.base_url.replace("http://", "ws://") + f"/ws/hosts/{host.pk}/events/"
    headers = {"Origin": stack.base_url, "Cookie": f"sessionid={session_cookie(user)}"}
    docker_delays, pier_delays = [], []
    try:
        with connect(url, additional_headers=headers) as socket:
            time.sleep(0.5)
            for _ in range(rounds):
                for action, expected in ((api.stop, "exited"), (api.start, "running")):
                    if action is api.stop:
                        action(container_id, timeout=0)
                    else:
                        action(container_id)
                    deadline = time.monotonic() + 30
                    while True:
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"no {expected!r} message in 30 s")
                        message = json.loads(socket.recv(timeout=10))
                        if (
                            message.get("docker_id") == container_id
                            and message.get("state") == expected
                        ):
                            received = time.time_ns()
                            break
                    time.sleep(0.05)
                    event_key = max(
                        key for key in docker_arrivals if key[0] == expected
                    )
                    docker_delays.append(
                        (docker_arrivals[event_key] - event_key[1]) / 1e6
                    )
                    pier_delays.append((received - event_key[1]) / 1e6)
                    docker_arrivals.clear()
    finally:
        stop.set()
        api.remove_container(container_id, force=True)
        stack.stop()
    plain, pier = summary(docker_delays), summary(pier_delays)
    print(f"changes measured: {len(pier_delays)}")
    print(
        f"plain Docker event stream: median {plain['median']:.2f} ms, "
        f"p95 {plain['p95']:.2f} ms"
    )
    print(
        f"Pier page websocket:       median {pier['median']:.2f} ms, "
        f"p95 {pier['p95']:.2f} ms"
    )


if __name__ == "__main__":
    main()
