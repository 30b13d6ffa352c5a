"""The containers page with many containers against one plain Docker list call.

Creates COUNT stopped busybox containers on the local engine (labelled
`pier.bench`, removed at the end), waits until Pier's mirror has them, then times
in one run: the raw API call `GET /containers/json?all=1` (what `docker ps -a`
does), the SDK's `containers.list(all=True)` (which inspects each container),
and Pier's containers page for that host, served from its mirror.

Usage: .venv/bin/python bench/containers_list.py [COUNT]
"""

import statistics
import sys
import time
import urllib.request
import uuid

import harness  # noqa: F401  (sets up Django)
from harness import make_user, start_pier

from containers.docker_client import client_for
from containers.models import Container
from tests.conftest import session_cookie

REPEATS = 10


def timed(function, repeats: int = REPEATS) -> float:
    """Return the median seconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _mirrored(host, run_id: str) -> int:
    names = Container.objects.filter(
        host=host, name__startswith=f"pier-bench-list-{run_id}-"
    )
    return names.count()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    run_id = uuid.uuid4().hex[:8]
    label = f"pier.bench={run_id}"
    stack, host = start_pier()
    user, _ = make_user()
    docker = client_for(host)
    api = docker.api
    try:
        for number in range(count):
            api.create_container(
                "busybox:latest",
                command=["true"],
                labels=[label],
                name=f"pier-bench-list-{label[-8:]}-{number}",
            )
        deadline = time.monotonic() + 300
        while _mirrored(host, run_id) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the mirror did not catch up in 5 minutes")
            time.sleep(0.5)
        total = len(api.containers(all=True))
        cookie = f"sessionid={session_cookie(user)}"

        def fetch_page():
            request = urllib.request.Request(
                f"{stack.base_url}/containers/?host={host.pk}",
                headers={"Cookie": cookie},
            )
            with urllib.request.urlopen(request) as response:
                assert response.status == 200
                response.read()

        fetch_page()
        raw = timed(lambda: api.containers(all=True))
        page = timed(fetch_page)
        sdk = timed(lambda: docker.containers.list(all=True), repeats=3)
    finally:
        for entry in api.containers(all=True, filters={"label": label}):
            api.remove_container(entry["Id"], force=True)
        stack.stop()
    print(f"containers on the engine: {total}")
    print(f"raw API list (docker ps -a):   {raw * 1000:8.1f} ms")
    print(f"SDK containers.list(all=True): {sdk * 1000:8.1f} ms")
    print(
        f"Pier containers page:          {page * 1000:8.1f} ms "
        f"({page / raw:.2f} x the raw call)"
    )


if __name__ == "__main__":
    main()
