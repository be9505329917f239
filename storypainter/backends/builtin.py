"""Registration of the built-in backends. Each factory imports its SDK lazily."""

from __future__ import annotations

from typing import Any

from storypainter.backends import registry
from storypainter.errors import BackendError


def local_llm(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.backends.local_llm import local_chat_model

    return local_chat_model(name, options, temperature=context.temperature, seed=context.seed)


def openai_llm(name: str, options: dict[str, Any], context) -> Any:
    try:
        from storypainter.backends.openai_chat import openai_chat_model
    except ImportError:
        raise BackendError(f"llm 'openai:{name}' needs langchain-openai (pip install 'storypainter[openai]')") from None
    return openai_chat_model(name, options, temperature=context.temperature)


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


def diffusers_painter(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.backends.diffusers_painter import DiffusersPainter

    return DiffusersPainter.load(name, options, width=context.width, height=context.height)


def openai_images_painter(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.backends.openai_images import OpenAIImagesPainter

    return OpenAIImagesPainter.create(name, options, width=context.width, height=context.height)


def vlm_judge(provider: str, options: dict[str, Any], context) -> Any:
    """A vision chat model as judge; it shares the storyteller's llm_options when it is the same provider."""
    from storypainter.backends.vlm_judge import VlmJudge

    if not provider:
        raise BackendError("judge 'vlm:' needs a provider string, e.g. 'vlm:openai:gpt-4.1-mini'")
    model_options = context.llm_options if provider == context.llm else {}
    return VlmJudge(provider, lambda: registry.get_llm(provider, model_options, context))


def layout_judge(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.backends.embeddings import get_embedder
    from storypainter.backends.layout_judge import LayoutJudge

    return LayoutJudge(get_embedder(context.embeddings))


def register_all() -> None:
    registry.register_llm("local", local_llm)
    registry.register_llm("openai", openai_llm)
    registry.register_llm("init_chat_model", any_chat_model)
    registry.register_painter("storyboard", storyboard_painter)
    registry.register_painter("diffusers", diffusers_painter)
    registry.register_painter("openai-images", openai_images_painter)
    registry.register_judge("layout", layout_judge)
    registry.register_judge("vlm", vlm_judge)
    register_distilled()


def register_distilled() -> None:
    """``hf:<model dir>``: a transformers model such as a distilled Mini-Storyteller."""
    from storypainter.distill.hf_chat import register_provider

    register_provider()
