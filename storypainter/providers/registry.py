"""Provider strings -> backend objects, built lazily and cached per process.

A provider string is ``prefix:name`` (``openai:gpt-4.1``, ``local:smollm2``). New
backends register a factory under a prefix; see README "Adding a backend".
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from storypainter.errors import ConfigError
from storypainter.providers import builtin

if TYPE_CHECKING:
    from storypainter.agent.context import Context

LlmFactory = Callable[[str, dict[str, Any], "Context"], Any]
PainterFactory = Callable[[str, dict[str, Any], "Context"], Any]
JudgeFactory = Callable[[str, dict[str, Any], "Context", LlmFactory], Any]  # the last: get_llm

# Providers that langchain's init_chat_model understands (its own integration package must be installed).
INIT_CHAT_MODEL_PROVIDERS = frozenset(
    {
        "anthropic",
        "azure_openai",
        "azure_ai",
        "bedrock",
        "bedrock_converse",
        "cohere",
        "deepseek",
        "fireworks",
        "google_anthropic_vertex",
        "google_genai",
        "google_vertexai",
        "groq",
        "huggingface",
        "ibm",
        "mistralai",
        "nvidia",
        "ollama",
        "perplexity",
        "together",
        "upstage",
        "xai",
    }
)
KEY_ENV = {"openai": "OPENAI_API_KEY", "openai-images": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}

_llm_factories: dict[str, LlmFactory] = dict(builtin.LLMS)
_painter_factories: dict[str, PainterFactory] = dict(builtin.PAINTERS)
_judge_factories: dict[str, JudgeFactory] = dict(builtin.JUDGES)
_coherence_factories: dict[str, Callable[..., Any]] = dict(builtin.COHERENCE_JUDGES)
_replaced: set[str] = set()  # built-in prefixes a caller registered again (their checks no longer apply)
_cache: dict[tuple, Any] = {}
_cache_lock = threading.RLock()  # a factory may build another backend (a VLM judge its model)


def register_llm(prefix: str, factory: LlmFactory) -> None:
    _llm_factories[prefix] = factory
    _replaced.add(prefix)


def register_painter(prefix: str, factory: PainterFactory) -> None:
    _painter_factories[prefix] = factory


def register_judge(prefix: str, factory: JudgeFactory) -> None:
    _judge_factories[prefix] = factory


def register_coherence_judge(prefix: str, factory: Callable[..., Any]) -> None:
    """``factory(name, context, get_llm)`` builds a judge with ``score(chains, context) -> list[ChainMark]``."""
    _coherence_factories[prefix] = factory


def split_provider(spec: str) -> tuple[str, str]:
    prefix, _, name = spec.partition(":")
    return prefix.strip(), name.strip()


def validate_llm_spec(spec: str, options: dict[str, Any], field: str = "llm") -> None:
    """Cheap check of an LLM provider string: known prefix, a name, its key present."""
    prefix, name = split_provider(spec)
    if not name:
        raise ConfigError(f"{field}: provider string '{spec}' needs the form 'provider:model'")
    if prefix not in _llm_factories and prefix not in INIT_CHAT_MODEL_PROVIDERS:
        known = ", ".join(sorted(set(_llm_factories) | {"ollama", "anthropic", "google_genai", "..."}))
        raise ConfigError(f"{field}: unknown provider '{prefix}' in '{spec}' (known: {known})")
    check_key(prefix, spec, options, field)
    if prefix in builtin.LLM_CHECKS and prefix not in _replaced:
        builtin.LLM_CHECKS[prefix](name, options)


def check_key(prefix: str, spec: str, options: dict[str, Any], field: str) -> None:
    """An API provider needs its key in the environment, unless a base_url points elsewhere."""
    env = options.get("api_key_env") or KEY_ENV.get(prefix)
    if env is None or options.get("base_url"):
        return
    if not os.environ.get(env):
        raise ConfigError(f"{field}: '{spec}' needs the environment variable {env} (secrets never go in config)")


def validate_provider_strings(context: Context) -> None:
    validate_llm_spec(context.llm, context.llm_options)
    prefix, _ = split_provider(context.painter)
    if prefix not in _painter_factories:
        raise ConfigError(
            f"painter: unknown painter '{context.painter}' (known: {', '.join(sorted(_painter_factories))})"
        )
    check_key(prefix, context.painter, context.painter_options, "painter")
    judge_prefix, judge_name = split_provider(context.judge)
    if judge_prefix not in _judge_factories:
        raise ConfigError(f"judge: unknown judge '{context.judge}' (known: {', '.join(sorted(_judge_factories))})")
    if judge_prefix == "vlm":
        options = context.llm_options if judge_name == context.llm else {}
        validate_llm_spec(judge_name, options, field="judge")
    coherence_prefix, coherence_name = split_provider(context.coherence)
    if coherence_prefix not in _coherence_factories:
        raise ConfigError(f"coherence: unknown judge '{context.coherence}' "
                          f"(known: {', '.join(sorted(_coherence_factories))})")
    if coherence_prefix == "llm":
        options = context.llm_options if coherence_name == context.llm else {}
        validate_llm_spec(coherence_name, options, field="coherence")


def _cached(key: tuple, build: Callable[[], Any]) -> Any:
    with _cache_lock:
        if key not in _cache:
            _cache[key] = build()
        return _cache[key]


def _freeze(options: dict[str, Any]) -> tuple:
    return tuple(sorted((key, repr(value)) for key, value in options.items()))


def get_llm(spec: str, options: dict[str, Any], context: Context) -> Any:
    """The chat model for a provider string; loaded once per process."""
    prefix, name = split_provider(spec)
    factory = _llm_factories.get(prefix) or _llm_factories["init_chat_model"]
    return _cached(
        ("llm", spec, _freeze(options), context.timeout),
        lambda: factory(spec if prefix not in _llm_factories else name, options, context),
    )


def get_painter(spec: str, options: dict[str, Any], context: Context) -> Any:
    prefix, name = split_provider(spec)
    key = ("painter", spec, _freeze(options), context.width, context.height, context.timeout)
    return _cached(key, lambda: _painter_factories[prefix](name, options, context))


def get_judge(spec: str, context: Context) -> Any:
    prefix, name = split_provider(spec)
    return _cached(("judge", spec, context.embeddings), lambda: _judge_factories[prefix](name, {}, context, get_llm))


def get_coherence_judge(context: Context) -> Any:
    """The chain-coherence judge ``context.coherence`` names (None when it is ``off``), built once per process."""
    prefix, name = split_provider(context.coherence)
    if prefix not in _coherence_factories:
        raise ConfigError(f"coherence: unknown judge '{context.coherence}'")
    key = ("coherence", context.coherence, context.coherence_threshold, context.llm, _freeze(context.llm_options))
    return _cached(key, lambda: _coherence_factories[prefix](name, context, get_llm))


def clear_cache() -> None:
    """Forget loaded backends (tests that re-register a provider call this)."""
    with _cache_lock:
        _cache.clear()


def _forget_after_fork() -> None:
    """A forked child builds its own backends: its parent's clients and sockets must not be shared."""
    global _cache_lock
    _cache_lock = threading.RLock()  # another parent thread may have held it at the fork
    _cache.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
