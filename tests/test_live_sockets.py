"""Websockets: each checks the user's right to what it streams, and streams it live."""

import time

import pytest

from containers.models import App, Container, Job, Profile
from tests.conftest import unique
from tests.sockets import close_code, open_socket, receive_until

NOISY_SCRIPT = (
    "echo '<script>window.pwned=1</script>'; "
    "printf '\\033[31mred text\\033[0m\\n'; echo 'to stderr' >&2; "
    "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"
)


def wait_for_mirror(docker_id: str, timeout: float = 10) -> Container:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container = Container.objects.filter(docker_id=docker_id).first()
        if container is not None and container.app_id:
            return container
        time.sleep(0.1)
    raise AssertionError(f"container {docker_id[:12]} never reached the mirror")


@pytest.fixture
def teams(users):
    team_a, team_b = users.team(), users.team()
    return {
        "dev_a": users.make(teams=[team_a]),
        "dev_b": users.make(teams=[team_b]),
        "operator": users.make(role=Profile.OPERATOR),
        "team_b": team_b,
    }


@pytest.fixture
def app_container(stack, teams, local_host, docker_api):
    """A running container of team B's app that prints markup, colours and stderr."""
    app = App.objects.create(
        name=unique("live"), team=teams["team_b"], host=local_host, container_port=80
    )
    created = docker_api.create_container(
        "busybox:latest",
        command=["sh", "-c", NOISY_SCRIPT],
        labels={"pier.app": app.name},
        name=app.name,
    )
    docker_api.start(created["Id"])
    yield wait_for_mirror(created["Id"])
    docker_api.remove_container(created["Id"], force=True)


def test_anonymous_socket_closed_forbidden(stack, app_container):
    path = f"/ws/containers/{app_container.pk}/logs/"
    assert close_code(stack, path) == 4403


def test_other_team_sockets_closed(stack, teams, app_container):
    job = Job.objects.create(kind="publish", title="x", team=teams["team_b"])
    paths = [
        f"/ws/containers/{app_container.pk}/logs/",
        f"/ws/apps/{app_container.app_id}/",
        f"/ws/jobs/{job.pk}/",
    ]
    for path in paths:
        assert close_code(stack, path, teams["dev_a"]) == 4404, path


def test_own_team_sockets_stay_open(stack, teams, app_container):
    path = f"/ws/apps/{app_container.app_id}/"
    assert close_code(stack, path, teams["dev_b"], timeout=1) is None


def test_logs_stream_backlog_then_live(stack, teams, app_container):
    path = f"/ws/containers/{app_container.pk}/logs/?tail=50"
    with open_socket(stack, path, teams["dev_b"]) as socket:
        first = receive_until(socket, lambda message: message["type"] == "lines")
        texts = [line[2] for line in first["lines"]]
        assert "<script>window.pwned=1</script>" in texts
        assert "\x1b[31mred text\x1b[0m" in texts
        streams = {line[2]: line[0] for line in first["lines"]}
        assert streams["to stderr"] == "stderr"
        last_tick = max(
            int(text.split()[1]) for text in texts if text.startswith("tick")
        )

        live = receive_until(
            socket,
            lambda message: message["type"] == "lines" and message["lines"],
        )
        ticks = [int(line[2].split()[1]) for line in live["lines"]]
        assert ticks[0] == last_tick + 1, "no line lost or repeated at the join"

        later = receive_until(socket, lambda message: message["type"] == "text")
        stream, text = later["blocks"][0]
        stamp, _, words = text.splitlines()[0].partition(" ")
        assert stream == "stdout"
        assert stamp.startswith("20")
        assert stamp.endswith("Z")
        assert words == f"tick {ticks[-1] + 1}"


def test_developer_sees_only_own_team_events(stack, teams, app_container, docker_api):
    host_path = f"/ws/hosts/{app_container.host_id}/events/"
    stranger = docker_api.create_container(
        "busybox:latest", command=["sleep", "30"], name=unique("stranger")
    )
    try:
        with (
            open_socket(stack, host_path, teams["dev_b"]) as developer_socket,
            open_socket(stack, host_path, teams["operator"]) as operator_socket,
        ):
            time.sleep(0.3)
            docker_api.start(stranger["Id"])
            docker_api.stop(app_container.docker_id, timeout=1)

            seen = receive_until(
                operator_socket,
                lambda message: message.get("docker_id") == stranger["Id"],
            )
            assert seen["state"] in ("created", "running")
            own = receive_until(
                developer_socket,
                lambda message: message.get("docker_id") == app_container.docker_id
                and message.get("state") == "exited",
            )
            assert own["app_id"] == app_container.app_id
            developer_socket.close()
    finally:
        docker_api.remove_container(stranger["Id"], force=True)


def test_developer_events_exclude_other_containers(
    stack, teams, app_container, docker_api
):
    host_path = f"/ws/hosts/{app_container.host_id}/events/"
    stranger = docker_api.create_container(
        "busybox:latest", command=["sleep", "30"], name=unique("stranger")
    )
    try:
        with open_socket(stack, host_path, teams["dev_b"]) as socket:
            time.sleep(0.3)
            docker_api.start(stranger["Id"])
            docker_api.stop(app_container.docker_id, timeout=1)
            received = []
            receive_until(
                socket,
                lambda message: received.append(message)
                or message.get("docker_id") == app_container.docker_id
                and message.get("state") == "exited",
            )
            assert all(
                message.get("docker_id") != stranger["Id"] for message in received
            )
            assert all(
                message.get("kind") == "container"
                for message in received
                if message["type"] == "mirror.change"
            )
    finally:
        docker_api.remove_container(stranger["Id"], force=True)


def test_log_download_streams_whole_log(stack, teams, app_container):
    import urllib.request

    from tests.conftest import session_cookie

    url = f"{stack.base_url}/containers/{app_container.pk}/logs/download/"
    request = urllib.request.Request(
        url, headers={"Cookie": f"sessionid={session_cookie(teams['dev_b'])}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
        disposition = response.headers["Content-Disposition"]

    assert "<script>window.pwned=1</script>" in body
    assert "to stderr" in body
    assert f'filename="{app_container.name}.log"' in disposition


def test_log_download_hidden_from_other_team(stack, teams, app_container):
    import urllib.error
    import urllib.request

    from tests.conftest import session_cookie

    url = f"{stack.base_url}/containers/{app_container.pk}/logs/download/"
    request = urllib.request.Request(
        url, headers={"Cookie": f"sessionid={session_cookie(teams['dev_a'])}"}
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 404
