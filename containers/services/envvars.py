"""Environment variables as people type them: one KEY=value a line."""

import re

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InvalidEnvironment(ValueError):
    """A line of the environment text is invalid; the message names the line."""


def parse(text: str) -> dict[str, str]:
    """Parse KEY=value lines; blank lines and lines starting with # are skipped.

    Raises InvalidEnvironment naming the first line at fault.
    """
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, separator, value = line.partition("=")
        key = key.strip()
        if not separator:
            raise InvalidEnvironment(f"Line {number}: {line[:40]!r} is not KEY=value.")
        if not KEY.match(key):
            raise InvalidEnvironment(
                f"Line {number}: {key[:40]!r} is not a valid variable name "
                "(letters, digits and _, not starting with a digit)."
            )
        values[key] = value
    return values


def secret_values(text: str) -> list[str]:
    """Return the values to mask in logs."""
    try:
        return [value for value in parse(text).values() if value]
    except InvalidEnvironment:
        return []
