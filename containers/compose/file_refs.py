"""Find the host files that a compose file makes compose itself read.

`include`, `extends: file:`, `env_file` and `label_file` are read by the compose
process on the machine that runs it, and `config` merges what they contain into
its model without naming them. A file that points outside its project's folder
could copy another project's definitions, or any readable file on Pier's
worker, into a container, so these paths are checked in the files as written,
before compose reads anything.

Paths are interpolated with the project's variables first, the way compose does,
so `${NAME:-default}` cannot hide a path. A relative `env_file` is read from the
project's folder, or from the folder of an included file, so it must stay inside
from both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class OutsideReference:
    """A path in a compose file that leads outside the project's folder."""

    file: str
    key: str
    path: str

    def message(self) -> str:
        return f"{self.key} {self.path} is outside the project's folder"


def outside_references(
    folder: Path, files: list[Path], variables: Mapping[str, str]
) -> list[OutsideReference]:
    """Return each include, extends, env_file and label_file path that escapes.

    ``files`` are the project's compose files; the files they include or extend
    inside the folder are read in turn. Files that are not valid YAML are left
    to compose, which reports them with their line.
    """
    root = folder.resolve()
    walk = _Walk(root, variables)
    for path in files:
        walk.visit(Path(path))
    return walk.found


def project_variables(env_file: Path | None, environment: Mapping[str, str]) -> dict:
    """Return the variables for interpolation: the .env file, then ``environment``.

    The .env file is read as compose reads it: `KEY=value` lines, an optional
    `export`, quoted values, `#` comments, and values that refer to earlier ones.
    """
    variables: dict[str, str] = {}
    if env_file is not None:
        try:
            text = env_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("export "):
                line = line[len("export ") :].lstrip()
            key, sign, value = line.partition("=")
            key = key.strip()
            if not sign or not _NAME.fullmatch(key):
                continue
            variables[key] = _env_value(value.strip(), {**variables, **environment})
    variables.update(environment)
    return variables


def _env_value(value: str, known: Mapping[str, str]) -> str:
    if value[:1] == "'":
        return value[1:].partition("'")[0]
    if value[:1] == '"':
        return interpolate(value[1:].partition('"')[0], known)
    return interpolate(value.partition(" #")[0].strip(), known)


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Expand `$NAME`, `${NAME}` and the `:-`, `-`, `:+`, `+`, `:?`, `?` forms.

    `$$` is a literal `$`. An unset variable expands to an empty string, as in
    compose, which warns about it.
    """
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char != "$" or index + 1 == len(value):
            out.append(char)
            index += 1
            continue
        following = value[index + 1]
        if following == "$":
            out.append("$")
            index += 2
        elif following == "{":
            end = _closing_brace(value, index + 2)
            out.append(_expand(value[index + 2 : end], variables))
            index = end + 1
        elif match := _NAME.match(value, index + 1):
            out.append(variables.get(match.group(), ""))
            index = match.end()
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _closing_brace(value: str, start: int) -> int:
    depth = 1
    for index in range(start, len(value)):
        if value[index] == "{":
            depth += 1
        elif value[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(value)


def _expand(body: str, variables: Mapping[str, str]) -> str:
    match = _NAME.match(body)
    if match is None:
        return ""
    name, rest = match.group(), body[match.end() :]
    value = variables.get(name)
    for operator in (":-", ":+", ":?", "-", "+", "?"):
        if rest.startswith(operator):
            word = interpolate(rest[len(operator) :], variables)
            set_and_filled = bool(value) if ":" in operator else value is not None
            if operator.endswith("-"):
                return value if set_and_filled else word
            if operator.endswith("+"):
                return word if set_and_filled else ""
            return value or ""
    return value or ""


class _Walk:
    def __init__(self, root: Path, variables: Mapping[str, str]):
        self.root = root
        self.variables = variables
        self.seen: set[Path] = set()
        self.found: list[OutsideReference] = []

    def visit(self, path: Path) -> None:
        resolved = path.resolve()
        if resolved in self.seen or not resolved.is_relative_to(self.root):
            return
        self.seen.add(resolved)
        try:
            document = yaml.safe_load(resolved.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return
        if not isinstance(document, Mapping):
            return
        name = str(resolved.relative_to(self.root))
        for key, target, bases, follow in self._references(document, path.parent):
            place = self._place(target, bases)
            if place is None:
                self.found.append(OutsideReference(name, key, target))
            elif follow:
                self.visit(place)

    def _references(
        self, document: Mapping[str, Any], here: Path
    ) -> Iterator[tuple[str, str, list[Path], bool]]:
        """Yield (key, path, folders it may be relative to, whether to read it)."""
        both = [here, self.root]
        for entry in _items(document.get("include")):
            if isinstance(entry, Mapping):
                for path in _strings(entry.get("path")):
                    yield "include", path, [here], True
                for path in _strings(entry.get("env_file")):
                    yield "include env_file", path, [here], False
                for path in _strings(entry.get("project_directory")):
                    yield "include project_directory", path, [here], False
            elif isinstance(entry, str):
                yield "include", entry, [here], True
        services = document.get("services")
        if not isinstance(services, Mapping):
            return
        for service in services.values():
            if not isinstance(service, Mapping):
                continue
            extends = service.get("extends")
            if isinstance(extends, Mapping) and isinstance(extends.get("file"), str):
                yield "extends file", extends["file"], [here], True
            for key in ("env_file", "label_file"):
                for entry in _items(service.get(key)):
                    path = entry.get("path") if isinstance(entry, Mapping) else entry
                    if isinstance(path, str):
                        yield key, path, both, False

    def _place(self, written: str, bases: list[Path]) -> Path | None:
        """Return where the path leads, or None when it leaves the folder."""
        path = Path(interpolate(written, self.variables))
        places = [path] if path.is_absolute() else [base / path for base in bases]
        resolved = [place.resolve() for place in places]
        if all(place.is_relative_to(self.root) for place in resolved):
            return resolved[0]
        return None


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _strings(value: Any) -> list[str]:
    return [item for item in _items(value) if isinstance(item, str)]
