"""Files a compose file makes compose read: include, extends, env_file, label_file."""

from pathlib import Path

import pytest

from containers.compose.file_refs import (
    interpolate,
    outside_references,
    project_variables,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path):
    write(tmp_path / "other" / "compose.yaml", "services:\n  db:\n    image: x\n")
    write(tmp_path / "other" / "secret.env", "PASSWORD=hunter2\n")
    return tmp_path / "project"


def found(folder, text, variables=None, name="compose.yaml"):
    main = write(folder / name, text)
    return [
        (ref.file, ref.key, ref.path)
        for ref in outside_references(folder, [main], variables or {})
    ]


@pytest.mark.parametrize(
    ("text", "key", "path"),
    [
        ("include:\n  - ../other/compose.yaml\n", "include", "../other/compose.yaml"),
        (
            "include:\n  - path: [../other/compose.yaml]\n",
            "include",
            "../other/compose.yaml",
        ),
        (
            "include:\n  - path: inner.yaml\n    env_file: ../other/secret.env\n",
            "include env_file",
            "../other/secret.env",
        ),
        (
            "include:\n  - path: inner.yaml\n    project_directory: /\n",
            "include project_directory",
            "/",
        ),
        (
            "services:\n  a:\n    extends:\n      file: ../other/compose.yaml\n"
            "      service: db\n",
            "extends file",
            "../other/compose.yaml",
        ),
        (
            "services:\n  a:\n    image: x\n    env_file: ../other/secret.env\n",
            "env_file",
            "../other/secret.env",
        ),
        (
            "services:\n  a:\n    image: x\n    env_file:\n"
            "      - path: /etc/passwd\n        required: false\n",
            "env_file",
            "/etc/passwd",
        ),
        (
            "services:\n  a:\n    image: x\n    label_file: [ok.env, /etc/hostname]\n",
            "label_file",
            "/etc/hostname",
        ),
    ],
)
def test_each_way_out_is_found(folder, text, key, path):
    assert found(folder, text) == [("compose.yaml", key, path)]


def test_paths_inside_the_folder_pass(folder):
    write(folder / "base.yaml", "services:\n  base:\n    image: x\n")
    write(folder / "conf" / "app.env", "A=1\n")
    text = (
        "include:\n  - base.yaml\n"
        "services:\n  a:\n    extends: {file: ./base.yaml, service: base}\n"
        "    env_file: [conf/app.env, {path: ./.env, required: false}]\n"
    )

    assert found(folder, text) == []


def test_included_file_is_read_in_turn(folder):
    write(
        folder / "sub" / "inner.yaml",
        "services:\n  b:\n    image: x\n    env_file: ../../other/secret.env\n",
    )

    assert found(folder, "include:\n  - sub/inner.yaml\n") == [
        ("sub/inner.yaml", "env_file", "../../other/secret.env")
    ]


def test_env_file_checked_from_project_folder(folder):
    # From sub/ the path stays inside, but compose may read it from the folder.
    write(
        folder / "sub" / "inner.yaml",
        "services:\n  b:\n    image: x\n    env_file: ../x.env\n",
    )

    assert found(folder, "include:\n  - sub/inner.yaml\n") == [
        ("sub/inner.yaml", "env_file", "../x.env")
    ]


def test_symlink_out_of_the_folder_is_found(folder):
    (folder).mkdir(parents=True)
    (folder / "link.env").symlink_to(folder.parent / "other" / "secret.env")

    text = "services:\n  a:\n    image: x\n    env_file: link.env\n"
    assert found(folder, text) == [("compose.yaml", "env_file", "link.env")]


def test_variables_cannot_hide_a_path(folder):
    text = (
        "services:\n  a:\n    image: x\n"
        "    env_file:\n      - ${HOME}/x.env\n      - ${MISSING:-/etc}/y.env\n"
        "      - $$HOME/z.env\n"
    )

    # `$$HOME` is a literal folder named "$HOME" inside the project.
    assert found(folder, text, {"HOME": "/root"}) == [
        ("compose.yaml", "env_file", "${HOME}/x.env"),
        ("compose.yaml", "env_file", "${MISSING:-/etc}/y.env"),
    ]


def test_extends_loop_ends(folder):
    text = (
        "services:\n  a:\n    image: x\n"
        "    extends: {file: compose.yaml, service: b}\n"
        "  b:\n    image: x\n"
    )

    assert found(folder, text) == []


def test_invalid_yaml_left_to_compose(folder):
    assert found(folder, "services: [unclosed\n") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("$A/$B", "1/"),
        ("${A}x", "1x"),
        ("${B:-dflt}", "dflt"),
        ("${E:-dflt}", "dflt"),
        ("${E-dflt}", ""),
        ("${A:+alt}", "alt"),
        ("${B+alt}", ""),
        ("${B:-${A}}", "1"),
        ("$$A", "$A"),
        ("${A:?needed}", "1"),
        ("cost $", "cost $"),
    ],
)
def test_interpolate(text, expected):
    assert interpolate(text, {"A": "1", "E": ""}) == expected


def test_project_variables_from_env_file(tmp_path):
    env = write(
        tmp_path / ".env",
        "# comment\nexport A=1\nB='single $A'\nC=\"double $A\"\nD=${A}2 # note\n"
        "not a line\nE=from file\n",
    )

    variables = project_variables(env, {"E": "from process"})

    assert variables == {
        "A": "1",
        "B": "single $A",
        "C": "double 1",
        "D": "12",
        "E": "from process",
    }
