"""Pure parts of the compose wrapper: output parsing, arguments and the preview.

These tests need neither the compose binary nor a Docker engine.
"""

from __future__ import annotations

import pytest

from containers.compose import commands
from containers.compose.cli import parse_ps_output
from containers.compose.events import parse_line
from containers.compose.plan import hash_labels_by_service, plan_changes

PS_LINE_A = '{"Name": "p-a-1", "Service": "a", "State": "running"}'
PS_LINE_B = '{"Name": "p-b-1", "Service": "b", "State": "exited"}'


@pytest.mark.parametrize(
    "stdout",
    [f"{PS_LINE_A}\n{PS_LINE_B}\n", f"[{PS_LINE_A}, {PS_LINE_B}]\n"],
    ids=["one-object-per-line", "json-array"],
)
def test_ps_output_both_formats(stdout: str) -> None:
    entries = parse_ps_output(stdout)
    assert [entry["Service"] for entry in entries] == ["a", "b"]
    assert [entry["State"] for entry in entries] == ["running", "exited"]


def test_ps_output_empty() -> None:
    assert parse_ps_output("\n") == []


# Shortened lines in the shapes that Docker Compose v2.40.3 prints with
# `--progress json`, plus a plain text line and a broken JSON line.
PROGRESS_LINES = [
    (
        '{"id":"Container p-a-1","status":"Started"}',
        {"resource": "Container p-a-1", "status": "Started", "error": False},
    ),
    (
        '{"id":"Container p-a-1",'
        '"status":"Error response from daemon: No such image: x"}',
        {"resource": "Container p-a-1", "error": True},
    ),
    (
        '{"error":true,"message":"Error response from daemon: No such image: x"}',
        {
            "status": "Failed",
            "text": "Error response from daemon: No such image: x",
            "error": True,
        },
    ),
    (
        '{"level":"warning","msg":"buildx isn\'t installed",'
        '"time":"2026-01-01T00:00:00Z"}',
        {"status": "warning", "text": "buildx isn't installed", "error": False},
    ),
    (
        '{"vertexes":[{"digest":"sha256:aa","name":"[a 2/2] RUN exit 3",'
        '"error":"exit code: 3"}]}',
        {"resource": "[a 2/2] RUN exit 3", "status": "Error", "error": True},
    ),
    (
        '{"logs":[{"vertex":"sha256:aa","stream":1,"data":"b3V0LWxpbmUK"}]}',
        {"status": "Log", "text": "out-line", "error": False},
    ),
    (
        '{"statuses":[{"id":"transferring context:","current":29,"total":100}]}',
        {"resource": "transferring context:", "current": 29, "total": 100},
    ),
    ("Container p-a-1  Started", {"resource": "", "text": "Container p-a-1  Started"}),
    ("{not json", {"text": "{not json", "error": False}),
]


@pytest.mark.parametrize(("line", "expected"), PROGRESS_LINES)
def test_progress_line_parsed(line: str, expected: dict) -> None:
    event = parse_line(line, "stderr")
    assert event["stream"] == "stderr"
    assert {key: event[key] for key in expected} == expected


def test_command_builders() -> None:
    assert commands.up(["web"], build=True, wait=True, remove_orphans=True) == [
        "up",
        "--detach",
        "--build",
        "--wait",
        "--remove-orphans",
        "web",
    ]
    assert commands.scale("web", 3) == [
        "up",
        "--detach",
        "--no-recreate",
        "--scale",
        "web=3",
        "web",
    ]
    assert commands.kill(signal="SIGHUP") == ["kill", "--signal", "SIGHUP"]
    assert commands.down(volumes=True, rmi="local") == [
        "down",
        "--volumes",
        "--rmi",
        "local",
    ]


@pytest.mark.parametrize(
    "build",
    [
        lambda: commands.stop(["--timeout=0"]),
        lambda: commands.scale("web", -1),
        lambda: commands.scale("web", True),
        lambda: commands.kill(signal="KILL; rm"),
        lambda: commands.down(rmi="everything"),
    ],
    ids=["flag-as-service", "negative-scale", "bool-scale", "bad-signal", "bad-rmi"],
)
def test_command_builders_reject_input(build) -> None:
    with pytest.raises(ValueError):
        build()


def test_command_builders_reject_string_services() -> None:
    with pytest.raises(TypeError):
        commands.stop("web")


# --- plan_changes -----------------------------------------------------------


def _model(**services: dict) -> dict:
    return {"services": services}


def test_plan_sorts_services() -> None:
    current = _model(a={"image": "x"}, b={"image": "x"}, old={"image": "x"})
    new = _model(a={"image": "x"}, b={"image": "y"}, c={"image": "x"})
    running = {"a": ["h-a"], "b": ["h-b"], "old": ["h-old"]}
    new_hashes = {"a": "h-a", "b": "h-b2", "c": "h-c"}
    assert plan_changes(current, new, running, new_hashes) == {
        "added": ["c"],
        "removed": ["old"],
        "recreated": ["b"],
        "unchanged": ["a"],
        "changed_keys": {"b": ["image"]},
    }


def test_plan_recreates_when_one_replica_differs() -> None:
    new = _model(a={"image": "x"})
    plan = plan_changes(None, new, {"a": ["h1", "h0"]}, {"a": "h1"})
    assert plan["recreated"] == ["a"]
    assert plan["changed_keys"] == {"a": ["image"]}


def test_plan_removes_stopped_service_of_old_model() -> None:
    """A service of the applied model without containers still counts as removed."""
    plan = plan_changes(_model(a={}, gone={}), _model(a={}), {"a": ["h"]}, {"a": "h"})
    assert plan["removed"] == ["gone"]


def test_hash_labels_from_ps_and_api() -> None:
    entries = [
        {
            "Service": "a",
            "Labels": "com.docker.compose.project.config_files=/x/a.yaml,/x/b.yaml,"
            "com.docker.compose.config-hash=abc123,com.docker.compose.service=a",
        },
        {
            "Labels": {
                "com.docker.compose.service": "b",
                "com.docker.compose.config-hash": "def",
            }
        },
        {"Service": "c", "Labels": ""},
    ]
    assert hash_labels_by_service(entries) == {"a": ["abc123"], "b": ["def"], "c": [""]}
