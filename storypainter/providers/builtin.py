"""The built-in providers: a factory per prefix, each importing its SDK lazily.

The registry reads these tables; this module never imports the registry. A judge factory
also gets ``get_llm`` (the registry's), so a VLM judge can load its model.
"""

from __future__ import annotations

from typing import Any

from storypainter.errors import BackendError, ConfigError


def local_llm(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.providers.llms.local import local_chat_model

    return local_chat_model(name, options, temperature=context.temperature, seed=context.seed)


def hf_llm(name: str, options: dict[str, Any], context) -> Any:
    """``hf:<model dir>``: a transformers causal LM such as a distilled Mini-Storyteller."""
    from storypainter.providers.llms.hf import hf_chat_model

    return hf_chat_model(name, options, temperature=context.temperature, seed=context.seed)


def openai_llm(name: str, options: dict[str, Any], context) -> Any:
    try:
        from storypainter.providers.llms.openai_chat import openai_chat_model
    except ImportError:
        raise BackendError(f"llm 'openai:{name}' needs langchain-openai (pip install 'storypainter[openai]')") from None
    return openai_chat_model(name, options, temperature=context.temperature, timeout=context.timeout)


def any_chat_model(spec: str, options: dict[str, Any], context) -> Any:
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(spec, temperature=context.temperature, **options)
    except ImportError as error:
        raise BackendError(f"llm '{spec}': its integration package is missing ({error})") from None
    except ValueError as error:
        raise BackendError(f"llm '{spec}': {str(error).splitlines()[0]}") from None


def storyboard_painter(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.providers.painters.storyboard import StoryboardPainter

    return StoryboardPainter(width=context.width, height=context.height)


def diffusers_painter(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.providers.painters.diffusers_painter import DiffusersPainter

    return DiffusersPainter.load(name, options, width=context.width, height=context.height)


def openai_images_painter(name: str, options: dict[str, Any], context) -> Any:
    from storypainter.providers.painters.openai_images import OpenAIImagesPainter

    options = {"timeout_seconds": context.timeout} | options  # painter_options.timeout_seconds wins
    return OpenAIImagesPainter.create(name, options, width=context.width, height=context.height)


def vlm_judge(provider: str, options: dict[str, Any], context, get_llm) -> Any:
    """A vision chat model as judge; it shares the storyteller's llm_options when it is the same provider."""
    from storypainter.providers.judges.vlm import VlmJudge

    if not provider:
        raise BackendError("judge 'vlm:' needs a provider string, e.g. 'vlm:openai:gpt-4.1-mini'")
    model_options = context.llm_options if provider == context.llm else {}
    return VlmJudge(provider, lambda: get_llm(provider, model_options, context))


def layout_judge(name: str, options: dict[str, Any], context, get_llm) -> Any:
    from storypainter.providers.judges.layout import LayoutJudge

    return LayoutJudge()


def check_local(name: str, options: dict[str, Any]) -> None:
    """Before a run starts: the model (and a student's adapter) exists and its options are known."""
    from pydantic import ValidationError

    from storypainter.providers.llms.local import STUDENTS, LocalOptions, resolve_model_path, student_adapter

    try:
        LocalOptions.model_validate(options)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = "unknown option" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(f"llm_options.{where}: {message} (local model options: n_ctx, max_tokens, temperature, "
                          "repeat_penalty, compact_schema)") from None
    try:
        base = STUDENTS[name][0] if name in STUDENTS else name
        resolve_model_path(base)
        if name in STUDENTS:
            student_adapter(STUDENTS[name][1])
    except BackendError as error:
        raise ConfigError(f"llm: {error}") from None


def check_openai(name: str, options: dict[str, Any]) -> None:
    try:
        from storypainter.providers.llms.openai_chat import STRUCTURED_STYLES, unknown_options
    except ImportError:
        raise ConfigError(f"llm 'openai:{name}' needs langchain-openai (pip install 'storypainter[openai]')") from None
    if unknown := unknown_options(options):
        raise ConfigError(f"llm_options.{unknown[0]}: unknown option for openai: (ChatOpenAI's settings, "
                          "api_key_env, structured, compact_schema)")
    structured = options.get("structured", "json_schema")
    if structured not in STRUCTURED_STYLES:
        raise ConfigError(f"llm_options.structured: '{structured}' is not one of {', '.join(STRUCTURED_STYLES)}")


LLM_CHECKS = {"local": check_local, "openai": check_openai}
def ocr_judge(name: str, options: dict[str, Any], context, get_llm) -> Any:
    """The visible-text check (the ``ocr`` extra); a clear one-line error when it is not installed."""
    from storypainter.providers.judges.ocr import NOT_INSTALLED, OcrJudge, OcrReader, ocr_installed

    if not ocr_installed():
        raise BackendError(NOT_INSTALLED)
    return OcrJudge(OcrReader())


def learned_coherence(name: str, context, get_llm) -> Any:
    """The shipped cross-encoder (needs the ``local`` extra's torch and transformers)."""
    from storypainter.providers.judges.coherence import LearnedCoherence

    return LearnedCoherence(threshold=context.coherence_threshold)


def llm_coherence(provider: str, context, get_llm) -> Any:
    """A chat model as coherence judge; it shares the storyteller's llm_options when it is the same provider."""
    from storypainter.providers.judges.coherence import LlmCoherence

    if not provider:
        raise BackendError("coherence 'llm:' needs a provider string, e.g. 'llm:openai:gpt-4.1'")
    options = context.llm_options if provider == context.llm else {}
    return LlmCoherence(get_llm(provider, options, context), provider, context.coherence_threshold,
                        context.max_repairs)


LLMS = {"local": local_llm, "openai": openai_llm, "hf": hf_llm, "init_chat_model": any_chat_model}
PAINTERS = {"storyboard": storyboard_painter, "diffusers": diffusers_painter, "openai-images": openai_images_painter}
JUDGES = {"layout": layout_judge, "vlm": vlm_judge, "ocr": ocr_judge}
COHERENCE_JUDGES = {"learned": learned_coherence, "llm": llm_coherence, "off": lambda name, context, get_llm: None}
