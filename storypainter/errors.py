"""The project's errors: each carries one line that names what is wrong."""


class StorypainterError(Exception):
    """Base class; ``str(error)`` is the one-line message shown to the user."""

    exit_code = 1


class ConfigError(StorypainterError):
    """Bad input: a config file, a provider string, a request field."""

    exit_code = 2


class BackendError(StorypainterError):
    """A model, painter or judge could not be loaded or failed."""


class StoryError(StorypainterError):
    """The storyteller's reply could not be turned into a valid Story; keeps the raw replies."""

    def __init__(self, message: str, replies: list[str] | None = None):
        super().__init__(message)
        self.replies = list(replies or [])


class PainterRefused(StorypainterError):
    """The painter refused the prompt (content policy); the story must change."""
