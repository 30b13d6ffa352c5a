"""The terminal websocket against a real busybox container, through Pier's server."""

import time

import pytest
from django.contrib.sessions.models import Session
from websockets.exceptions import ConnectionClosed

from tests.conftest import session_cookie
from tests.terminal_support import (
    PROMPT,
    Terminal,
    app_containers,
    close_code,
    http_session,
    log_out,
    open_socket,
    open_terminal,
    wait_for_processes,
)

MAIN = ["sleep 3600"]


@pytest.fixture
def app_container(stack, local_host, users, docker_api):
    yield from app_containers(local_host, users, docker_api)


def test_terminal_runs_command(stack, users, app_container):
    target = app_container()
    developer = users.make(teams=[target.team])
    terminal = open_terminal(stack, developer, target.container)

    terminal.send(b"echo hi-$((6*7))\r")

    assert b"hi-42" in terminal.read_until(b"hi-42")
    assert terminal.frame_types == {bytes}
    terminal.socket.close()


def test_terminal_ctrl_c_interrupts(stack, users, docker_api, app_container):
    target = app_container()
    operator = users.make(role="operator")
    terminal = open_terminal(stack, operator, target.container)
    terminal.send(b"sleep 100\r")
    busy = sorted([*MAIN, "sh", "sleep 100"])
    assert wait_for_processes(docker_api, target.docker_id, busy) == busy

    terminal.send(b"\x03")

    assert b"^C" in terminal.read_until(PROMPT)
    idle = sorted([*MAIN, "sh"])
    assert wait_for_processes(docker_api, target.docker_id, idle) == idle
    terminal.send(b"echo back\r")
    assert b"back" in terminal.read_until(b"back\r\n")
    terminal.socket.close()


def test_terminal_ctrl_p_reaches_process(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    path = f"/ws/containers/{target.container.pk}/terminal/?shell=cat%20-v"
    terminal = Terminal(open_socket(stack, operator, path))
    terminal.message("ready")

    terminal.send(b"a\x10b\x10\x11c\r")

    assert b"a^Pb^Pc" in terminal.read_until(b"a^Pb^Pc\r\n")
    terminal.socket.close()


def test_terminal_resize_sets_size(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    terminal = open_terminal(stack, operator, target.container)

    terminal.resize(123, 45)
    terminal.send(b"stty size\r")

    assert b"45 123" in terminal.read_until(b"45 123")
    terminal.resize(80, 24)
    terminal.send(b"stty size\r")
    assert b"24 80" in terminal.read_until(b"24 80")
    terminal.socket.close()


def test_terminal_invalid_control_messages(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    terminal = open_terminal(stack, operator, target.container)

    terminal.socket.send('{"type": "resize", "cols": 0, "rows": "x"}')
    size_error = terminal.message("error")
    terminal.messages.clear()
    terminal.socket.send("not json")
    unknown_error = terminal.message("error")

    assert "Invalid terminal size" in size_error["message"]
    assert "Unknown control message" in unknown_error["message"]
    terminal.send(b"echo still-open\r")
    assert b"still-open" in terminal.read_until(b"still-open\r\n")
    terminal.socket.close()


def test_terminal_utf8_split_frames(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    terminal = open_terminal(stack, operator, target.container)
    text = "é€😀".encode()

    terminal.send(b"echo " + text[:4])
    terminal.send(text[4:] + b"\r")

    output = terminal.read_until(text + b"\r\n" + b"/ ")
    assert output.decode().count("é€😀") == 2


def test_terminal_bash_missing_message(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    socket = open_socket(
        stack, operator, f"/ws/containers/{target.container.pk}/terminal/?shell=bash"
    )
    terminal = Terminal(socket)

    ended = terminal.message("exit")

    assert ended["message"] == "bash was not found in this container; try sh."
    assert ended["code"] in (126, 127)
    assert close_code(socket) == 1000


def test_terminal_custom_command(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    query = "?shell=echo%20custom-%27a%20b%27"
    terminal = Terminal(
        open_socket(
            stack, operator, f"/ws/containers/{target.container.pk}/terminal/{query}"
        )
    )

    ended = terminal.message("exit")

    assert b"custom-a b" in terminal.output
    assert ended["code"] == 0


def test_terminal_bad_command_message(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    path = f"/ws/containers/{target.container.pk}/terminal/?shell=echo%20%27open"
    terminal = Terminal(open_socket(stack, operator, path))

    error = terminal.message("error")

    assert "is invalid" in error["message"]
    assert close_code(terminal.socket) == 1000


def test_terminal_disconnect_ends_exec(stack, users, docker_api, app_container):
    target = app_container()
    operator = users.make(role="operator")
    terminal = open_terminal(stack, operator, target.container)
    terminal.send(b"sleep 777 &\r")
    terminal.send(b"sleep 778\r")
    expected = sorted([*MAIN, "sh", "sleep 777", "sleep 778"])
    assert wait_for_processes(docker_api, target.docker_id, expected) == expected

    terminal.socket.close()

    assert wait_for_processes(docker_api, target.docker_id, MAIN) == MAIN


def test_terminal_exit_ends_background_jobs(stack, users, docker_api, app_container):
    target = app_container()
    operator = users.make(role="operator")
    terminal = open_terminal(stack, operator, target.container)
    terminal.send(b"sleep 779 &\r")
    expected = sorted([*MAIN, "sh", "sleep 779"])
    assert wait_for_processes(docker_api, target.docker_id, expected) == expected

    terminal.send(b"exit\r")

    assert terminal.message("exit")["code"] == 0
    assert close_code(terminal.socket) == 1000
    assert wait_for_processes(docker_api, target.docker_id, MAIN) == MAIN


def test_terminal_closed_on_logout(stack, users, docker_api, app_container):
    target = app_container()
    operator = users.make(role="operator")
    cookie = session_cookie(operator)
    socket = open_socket(
        stack, operator, f"/ws/containers/{target.container.pk}/terminal/", cookie
    )
    terminal = Terminal(socket)
    terminal.message("ready")
    terminal.read_until(PROMPT)

    started = time.monotonic()
    log_out(stack, http_session(operator, cookie))

    assert close_code(socket, timeout=5) == 4403
    assert time.monotonic() - started < 2
    assert wait_for_processes(docker_api, target.docker_id, MAIN) == MAIN


def test_terminal_closed_session_deleted(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    cookie = session_cookie(operator)
    socket = open_socket(
        stack, operator, f"/ws/containers/{target.container.pk}/terminal/", cookie
    )
    terminal = Terminal(socket)
    terminal.read_until(PROMPT)

    Session.objects.filter(session_key=cookie).delete()

    assert close_code(socket, timeout=6) == 4403


def test_terminal_input_after_logout_ignored(stack, users, app_container):
    target = app_container()
    operator = users.make(role="operator")
    cookie = session_cookie(operator)
    socket = open_socket(
        stack, operator, f"/ws/containers/{target.container.pk}/terminal/", cookie
    )
    terminal = Terminal(socket)
    terminal.read_until(PROMPT)
    log_out(stack, http_session(operator, cookie))

    try:
        socket.send(b"touch /pier-after-logout\r")
    except ConnectionClosed:
        pass
    close_code(socket, timeout=5)

    check = open_terminal(stack, users.make(role="operator"), target.container)
    check.send(b"ls /pier-after-logout\r")
    assert b"No such file" in check.read_until(PROMPT)
    check.socket.close()
