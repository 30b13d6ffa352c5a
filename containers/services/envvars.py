"""Environment variables as people type them: one KEY=value a line."""

import re
from collections.abc import Iterator

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InvalidEnvironment(ValueError):
    """A line of the environment text is invalid; the message names the line."""


def key_value_lines(text: str) -> Iterator[tuple[int, str, str, str, str]]:
    """Yield (number, line, key, separator, value) for each KEY=value line.

    Blank lines and lines starting with # are skipped; the caller checks the
    key and whether the separator is there.
    """
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, separator, value = line.partition("=")
        yield number, line, key.strip(), separator, value


def parse(text: str) -> dict[str, str]:
    """Parse KEY=value lines; blank lines and lines starting with # are skipped.

    Raises InvalidEnvironment naming the first line at fault.
    """
    values: dict[str, str] = {}
    for number, line, key, separator, value in key_value_lines(text):
        if not separator:
            raise InvalidEnvironment(f"Line {number}: {line[:40]!r} is not KEY=value.")
        if not KEY.match(key):
            raise InvalidEnvironment(
                f"Line {number}: {key[:40]!r} is not a valid variable name "
                "(letters, digits and _, not starting with a digit)."
            )
        values[key] = value
    return values


SECRET_KEY_WORDS = re.compile(
    r"PASS|SECRET|TOKEN|KEY|AUTH|CREDENTIAL|PRIVATE|CERT", re.IGNORECASE
)
MIN_MASKED_LENGTH = 8


def secret_values(text: str) -> list[str]:
    """Return the values to mask in logs.

    Values of variables whose names look secret (PASSWORD, API_KEY, ...) are
    masked, and so is any value of 8 characters or more. Masking a short value
    such as "1" or "main" would garble every log line and reveal the value.
    """
    try:
        values = parse(text)
    except InvalidEnvironment:
        return []
    return [
        value
        for key, value in values.items()
        if len(value) >= MIN_MASKED_LENGTH
        or (SECRET_KEY_WORDS.search(key) and len(value) >= 3)
    ]
