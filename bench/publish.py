"""Publishing examples/php-hello through Pier against the same work by hand.

By hand means `docker build` then `docker run -p`, then waiting until the app
responds. Through Pier means a publish job: copy the source, build through the
SDK, start the container, wait until it responds. Each round changes index.php in
both copies, so the COPY layer and those after it rebuild while the apt-get layer
comes from the cache, as in a real redeploy. Rounds alternate between the two.

Usage: .venv/bin/python bench/publish.py [ROUNDS]
"""

import shutil
import subprocess
import sys
import time
import urllib.request
import uuid

import harness  # noqa: F401  (sets up Django)
from harness import ROOT, WORK_DIR, make_user, start_pier, summary

from containers.models import App, Job
from containers.services.ports import free_port
from containers.services.publish import start_release

EXAMPLE = ROOT / "examples" / "php-hello"


def wait_until_responding(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not respond")


def fresh_copy(marker: str) -> str:
    folder = WORK_DIR / f"src-{marker}"
    shutil.copytree(EXAMPLE, folder)
    index = folder / "index.php"
    index.write_text(index.read_text() + f"\n<!-- {marker} -->\n")
    return str(folder)


def by_hand(marker: str, host, keep: bool = False) -> float:
    source = fresh_copy(marker)
    tag = f"bench-hand-{marker}:1"
    port = free_port(host)
    started = time.perf_counter()
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, source],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            f"bench-hand-{marker}",
            "-p",
            f"{port}:8080",
            tag,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wait_until_responding(f"http://127.0.0.1:{port}/")
    elapsed = time.perf_counter() - started
    subprocess.run(
        ["docker", "rm", "-f", f"bench-hand-{marker}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if not keep:
        subprocess.run(["docker", "rmi", tag], check=True, stdout=subprocess.DEVNULL)
    return elapsed


def through_pier(marker: str, host, user, team) -> float:
    source = fresh_copy(f"pier-{marker}")
    app = App.objects.create(
        name=f"bench-pier-{marker}",
        team=team,
        host=host,
        source_url=f"file://{source}",
        container_port=8080,
        host_port=free_port(host),
    )
    started = time.perf_counter()
    job = start_release(app, user)
    while True:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if job.state != Job.SUCCEEDED:
        raise RuntimeError(f"Publish failed: {job.error}")
    release = app.releases.get()
    subprocess.run(
        ["docker", "rm", "-f", release.container_id],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        ["docker", "rmi", release.image_tag], check=True, stdout=subprocess.DEVNULL
    )
    return elapsed


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    stack, host = start_pier()
    user, team = make_user()
    hand, pier = [], []
    try:
        # The warm-up image stays tagged until the end, so removing a round's
        # image never removes the cached apt-get layer the rounds share.
        by_hand("warmup", host, keep=True)
        for number in range(rounds):
            marker = f"{number}-{uuid.uuid4().hex[:6]}"
            hand.append(by_hand(marker, host))
            pier.append(through_pier(marker, host, user, team))
            print(
                f"round {number + 1}: by hand {hand[-1]:.2f} s, Pier {pier[-1]:.2f} s"
            )
    finally:
        stack.stop()
        subprocess.run(
            ["docker", "rmi", "bench-hand-warmup:1"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
    hand_stats, pier_stats = summary(hand), summary(pier)
    print(
        f"by hand: median {hand_stats['median']:.2f} s, min {hand_stats['min']:.2f} s"
    )
    print(
        f"Pier:    median {pier_stats['median']:.2f} s, min {pier_stats['min']:.2f} s"
    )
    print(
        f"ratio (median Pier / median by hand): "
        f"{pier_stats['median'] / hand_stats['median']:.3f}"
    )


if __name__ == "__main__":
    main()
