"""Attaching to a container's main process through Pier's attach websocket."""

import time

import pytest

from tests.terminal_support import (
    Terminal,
    app_containers,
    close_code,
    open_socket,
)

SHELL = ("sh",)
TICKER = ("sh", "-c", "while true; do echo tick; sleep 0.2; done")


@pytest.fixture
def app_container(stack, local_host, users, docker_api):
    yield from app_containers(local_host, users, docker_api)


def attach(stack, user, target) -> Terminal:
    path = f"/ws/containers/{target.container.pk}/attach/"
    return Terminal(open_socket(stack, user, path))


def still_running(docker_api, docker_id: str) -> bool:
    """Give a detached stream a second to end the process, then look."""
    time.sleep(1)
    return docker_api.inspect_container(docker_id)["State"]["Running"]


def test_attach_tty_shell(stack, users, docker_api, app_container):
    target = app_container(SHELL, tty=True, stdin=True)
    developer = users.make(teams=[target.team])
    terminal = attach(stack, developer, target)

    ready = terminal.message("ready")
    terminal.send(b"echo attached-$((1+1))\r")

    assert ready["tty"] is True
    assert ready["input"] is True
    assert b"attached-2" in terminal.read_until(b"attached-2")
    terminal.resize(101, 33)
    terminal.send(b"stty size\r")
    assert b"33 101" in terminal.read_until(b"33 101")
    terminal.socket.close()
    assert still_running(docker_api, target.docker_id)


def test_attach_demuxes_streams(stack, users, docker_api, app_container):
    target = app_container(SHELL, stdin=True)
    operator = users.make(role="operator")
    terminal = attach(stack, operator, target)

    ready = terminal.message("ready")
    terminal.send(b"echo out-1; echo err-2 >&2\n")

    assert ready["tty"] is False
    assert ready["input"] is True
    output = terminal.read_until(b"out-1\n", b"err-2\n")
    assert b"\x00" not in output
    assert b"\x01" not in output
    terminal.socket.close()
    assert still_running(docker_api, target.docker_id)


def test_attach_without_stdin(stack, users, app_container):
    target = app_container(TICKER)
    operator = users.make(role="operator")
    terminal = attach(stack, operator, target)

    ready = terminal.message("ready")

    assert ready["input"] is False
    assert b"tick\ntick\n" in terminal.read_until(b"tick\ntick\n")
    terminal.socket.close()


def test_attach_stdin_once_no_input(stack, users, docker_api, app_container):
    target = app_container(SHELL, stdin=True, stdin_once=True)
    operator = users.make(role="operator")
    terminal = attach(stack, operator, target)

    ready = terminal.message("ready")
    terminal.socket.close()

    assert ready["input"] is False
    assert still_running(docker_api, target.docker_id)


def test_attach_stopped_container(stack, users, docker_api, app_container):
    target = app_container(TICKER)
    operator = users.make(role="operator")
    docker_api.stop(target.docker_id, timeout=0)
    terminal = attach(stack, operator, target)

    error = terminal.message("error")

    assert "is not running" in error["message"]
    assert close_code(terminal.socket) == 1000


def test_attach_process_exits(stack, users, app_container):
    target = app_container(SHELL, tty=True, stdin=True)
    operator = users.make(role="operator")
    terminal = attach(stack, operator, target)
    terminal.message("ready")

    terminal.send(b"exit 3\r")

    ended = terminal.message("exit")
    assert ended["message"] == "The container stopped with exit code 3."
    assert ended["code"] == 3
    assert close_code(terminal.socket) == 1000
