"""Registration of the built-in backends. Each factory imports its SDK lazily."""

from __future__ import annotations

from typing import Any

from storypainter.backends import registry
from storypainter.errors import BackendError


def local_llm(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.backends.local_llm import local_chat_model

    return local_chat_model(name, options, temperature=context.temperature, seed=context.seed)


def openai_llm(name: str, options: dict[str, Any], context) -> Any:
    from langchain_openai import ChatOpenAI

    settings = {key: value for key, value in options.items() if key not in ("api_key_env", "structured")}
    settings.setdefault("temperature", context.temperature)
    env = options.get("api_key_env")
    if env:
        import os

        settings["api_key"] = os.environ.get(env, "")
    elif options.get("base_url"):
        settings.setdefault("api_key", "not-needed")
    return ChatOpenAI(model=name, **settings)


def any_chat_model(spec: str, options: dict[str, Any], context) -> Any:
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(spec, temperature=context.temperature, **options)
    except ImportError as error:
        raise BackendError(f"llm '{spec}': its integration package is missing ({error})") from None
    except ValueError as error:
        raise BackendError(f"llm '{spec}': {str(error).splitlines()[0]}") from None


def storyboard_painter(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.backends.storyboard import StoryboardPainter

    return StoryboardPainter(width=context.width, height=context.height)


def layout_judge(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.backends.embeddings import get_embedder
    from storypainter.backends.layout_judge import LayoutJudge

    return LayoutJudge(get_embedder(context.embeddings))


def register_all() -> None:
    registry.register_llm("local", local_llm)
    registry.register_llm("openai", openai_llm)
    registry.register_llm("init_chat_model", any_chat_model)
    registry.register_painter("storyboard", storyboard_painter)
    registry.register_judge("layout", layout_judge)
