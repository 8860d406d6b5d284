"""Exceptions raised by the core. The plugin turns them into QgsProcessingException."""


class EpitomeError(Exception):
    """A user-facing error: the message says what is wrong and what to change."""


class Cancelled(EpitomeError):
    """Raised when the caller's cancel callback asks to stop."""

    def __init__(self, message="Cancelled by the user."):
        super().__init__(message)


def check_cancel(cancel) -> None:
    """Raise Cancelled when the caller's cancel callback (or None) says so."""
    if cancel is not None and cancel():
        raise Cancelled()
