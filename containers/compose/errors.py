"""Compose errors, with the file, line and key that compose's message points to."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml


class ComposeError(Exception):
    """A compose command failed.

    ``detail`` is compose's own error text. ``file``, ``line`` and ``key`` are set
    when the text (or the YAML it refers to) shows where the fault is.
    """

    def __init__(
        self,
        detail: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        exit_code: int | None = None,
        output: str = "",
    ) -> None:
        self.detail = detail
        self.file = file
        self.line = line
        self.key = key
        self.exit_code = exit_code
        self.output = output
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.line:
            where.append(f"line {self.line}")
        if self.key:
            where.append(f"key {self.key}")
        if not where:
            return self.detail
        return f"{self.detail} ({', '.join(where)})"


class ComposeTimeout(ComposeError):
    """A compose command ran past its timeout and was killed."""


class ComposeCancelled(ComposeError):
    """A compose command was cancelled by the caller and was killed."""


@dataclass
class ErrorLocation:
    """The file, line and key that a compose error points to; any may be unknown.

    ``syntax_error`` marks a YAML syntax error. ``variable`` is the variable
    that failed to interpolate, used to pick the list item that contains it.
    """

    file: str | None = None
    line: int | None = None
    key: str | None = None
    syntax_error: bool = False
    variable: str | None = None


# logrus text lines, e.g. `time="..." level=warning msg="..."`, are not errors.
_LOG_LINE = re.compile(r'^time="[^"]*" level=(?:debug|info|warning)\b')

# Message shapes printed by Docker Compose v2.40 for invalid projects.
_ADDITIONAL = re.compile(
    r"^validating (?P<file>.+?): (?P<path>\S*)\s*additional propert(?:y|ies) "
    r"'(?P<prop>[^']+)'"
)
_VALIDATING = re.compile(r"^validating (?P<file>.+?): (?P<key>\S+) ")
_PARSE = re.compile(
    r"^(?:failed to parse (?P<file>.+?): )?(?P<syntax>yaml: )?"
    r"line (?P<line>\d+): (?P<rest>.*)"
)
_MAPPING_KEY = re.compile(r'mapping key "(?P<key>[^"]+)"')
_INTERPOLATION = re.compile(r"^error while interpolating (?P<key>\S+?): (?P<rest>.*)")
_VARIABLE = re.compile(r"variable (?P<name>[A-Za-z_][A-Za-z0-9_]*)")
_CYCLE = re.compile(r"^dependency cycle detected: (?P<service>\S+) ->")
_SERVICE = re.compile(r'^service "(?P<service>[^"]+)" (?P<rest>.*)')
_MISSING_FILE = re.compile(r"^open (?P<file>.+?): no such file or directory")
_MISSING_ENV_FILE = re.compile(r"^couldn't find env file: (?P<file>.+)$")

# The key under a service that a "service ... refers to undefined ..." message names.
_SERVICE_REFERENCES = {
    "depends on undefined service": "depends_on",
    "refers to undefined volume": "volumes",
    "refers to undefined network": "networks",
    "refers to undefined secret": "secrets",
    "refers to undefined config": "configs",
}


def error_text(stderr: str) -> str:
    """Return the error lines of compose's stderr, without its warning log lines."""
    lines = [line.strip() for line in stderr.splitlines()]
    errors = [line for line in lines if line and not _LOG_LINE.match(line)]
    return "\n".join(errors)


def config_error(
    stderr: str, files: Sequence[Path], exit_code: int | None = None
) -> ComposeError:
    """Build the ComposeError for a failed `config`, locating the fault if it can."""
    detail = error_text(stderr) or "compose config failed without an error message"
    last_line = detail.splitlines()[-1]
    location = locate_error(last_line, files)
    return ComposeError(
        detail,
        file=location.file,
        line=location.line,
        key=location.key,
        exit_code=exit_code,
        output=stderr,
    )


def locate_error(message: str, files: Sequence[Path]) -> ErrorLocation:
    """Parse the file, line and key out of one compose error message.

    Messages that name a key but no line get the line from the YAML files: the
    key's own line, or the line of the deepest enclosing key found.
    """
    location = _parse_message(message)
    candidates = [Path(location.file)] if location.file else list(files)
    if location.syntax_error:
        syntax_file, syntax_line = _find_syntax_error(candidates)
        if syntax_file is not None:
            location.file, location.line = syntax_file, syntax_line
    elif location.key and location.line is None:
        location.file, location.line = _find_key_line(
            location.key, candidates, location.variable
        )
    if location.file is None and len(files) == 1:
        location.file = str(files[0])
    return location


def _parse_message(message: str) -> ErrorLocation:
    if match := _ADDITIONAL.match(message):
        path = match["path"].strip(".")
        key = f"{path}.{match['prop']}" if path else match["prop"]
        return ErrorLocation(file=match["file"], key=key)
    if match := _VALIDATING.match(message):
        return ErrorLocation(file=match["file"], key=match["key"])
    if match := _PARSE.match(message):
        key_match = _MAPPING_KEY.search(match["rest"])
        return ErrorLocation(
            file=match["file"],
            line=int(match["line"]),
            key=key_match["key"] if key_match else None,
            syntax_error=bool(match["syntax"]),
        )
    if match := _INTERPOLATION.match(message):
        variable = _VARIABLE.search(match["rest"])
        return ErrorLocation(
            key=match["key"], variable=variable["name"] if variable else None
        )
    if match := _CYCLE.match(message):
        return ErrorLocation(key=f"services.{match['service']}.depends_on")
    if match := _SERVICE.match(message):
        return ErrorLocation(key=_service_key(match["service"], match["rest"]))
    if match := _MISSING_FILE.match(message) or _MISSING_ENV_FILE.match(message):
        return ErrorLocation(file=match["file"])
    return ErrorLocation()


def _service_key(service: str, rest: str) -> str:
    for phrase, field in _SERVICE_REFERENCES.items():
        if rest.startswith(phrase):
            return f"services.{service}.{field}"
    return f"services.{service}"


def _find_syntax_error(files: Sequence[Path]) -> tuple[str | None, int | None]:
    """Return the first file that PyYAML cannot parse, and the line at fault.

    Compose's YAML parser can report the line where the enclosing block starts,
    so PyYAML's problem mark is preferred.
    """
    for path in files:
        try:
            yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except OSError:
            continue
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            return str(path), (mark.line + 1 if mark else None)
        except yaml.YAMLError:
            return str(path), None
    return None, None


# A match score: the number of key segments matched, then whether the matched
# value uses the variable that failed to interpolate.
_Score = tuple[int, bool]


def _find_key_line(
    key: str, files: Sequence[Path], variable: str | None = None
) -> tuple[str | None, int | None]:
    """Find the file and line of a dotted key path such as `services.web.ports`.

    A later file overrides an earlier one, so on an equal score the later file wins.
    """
    segments = key.split(".")
    best: tuple[_Score, str | None, int | None] = ((0, False), None, None)
    for path in files:
        try:
            root = yaml.compose(
                path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader
            )
        except (OSError, yaml.YAMLError):
            continue
        score, line = _match(root, segments, variable)
        if score[0] and score >= best[0]:
            best = (score, str(path), line)
    return best[1], best[2]


def _match(
    node: yaml.Node | None, segments: list[str], variable: str | None
) -> tuple[_Score, int | None]:
    """Score how well the key path ``segments`` matches below ``node``.

    Returns the score and the line of the deepest matched key or list item.
    """
    if node is None:
        return (0, False), None
    if not segments:
        value = node.value if isinstance(node, yaml.ScalarNode) else ""
        uses_variable = bool(variable) and "$" in value and variable in value
        return (0, uses_variable), None
    best: tuple[_Score, int | None] = ((0, False), None)
    for used, line, child in _children(node, segments):
        (depth, uses_variable), deeper_line = _match(child, segments[used:], variable)
        score = (used + depth, uses_variable)
        if score > best[0]:
            best = (score, deeper_line or line)
    return best


def _children(
    node: yaml.Node, segments: list[str]
) -> Iterator[tuple[int, int, yaml.Node | None]]:
    """Yield (segments used, line, child node) for each child that matches.

    Mapping keys may contain dots (`net.ipv4.ip_forward`), so the longest run of
    segments that names a key is tried first. `[]` matches every list item.
    """
    if isinstance(node, yaml.MappingNode):
        for count in range(len(segments), 0, -1):
            name = ".".join(segments[:count])
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == name:
                    yield count, key_node.start_mark.line + 1, value_node
    elif isinstance(node, yaml.SequenceNode):
        segment = segments[0]
        for index, item in enumerate(node.value):
            if segment in ("[]", str(index)) or _names_item(item, segment):
                yield 1, item.start_mark.line + 1, item


def _names_item(item: yaml.Node, name: str) -> bool:
    """Tell whether a list item such as `A=1` in `environment` is the entry ``name``."""
    if not isinstance(item, yaml.ScalarNode):
        return False
    return item.value == name or item.value.startswith(f"{name}=")
