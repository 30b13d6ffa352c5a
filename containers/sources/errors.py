"""The error every source operation raises, with a message fit for the page."""


class SourceError(Exception):
    """A user-facing problem with an app's source (bad URL, clone, archive)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
