"""``hf:<model>``: a LangChain chat model over transformers' ``generate``, for distilled students.

``<model>`` is a transformers model directory (what ``distill train`` saves) or a GGUF
model (``smollm2``, ``gemma3-270m`` or a ``.gguf`` path). transformers dequantises a GGUF
model (needs the ``gguf`` package; about 16 s for SmolLM2, most of it reading the file's
metadata three times); the result is kept once per machine as a float32 transformers copy
in ``$XDG_CACHE_HOME/storypainter/dequantised`` (540 MB for SmolLM2), which later processes
load in about a second. Weights load once per process.

Structured output is JSON-constrained-ish: when ``invoke_structured`` passes a schema,
the first token must open a JSON object and decoding stops when that object closes;
``invoke_structured`` then validates and asks for repairs as for any other model.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from storypainter.errors import BackendError
from storypainter.providers.llms.local import closing_chunk, to_chat_messages, token_chunk, usage_metadata

_models: dict[str, Any] = {}
_openers: dict[str, list[int]] = {}
_load_lock = threading.Lock()
_decode_lock = threading.Lock()


def model_source(spec: str) -> tuple[str, str | None]:
    """(directory, gguf file name or None) for a model directory or a GGUF model name/path."""
    from storypainter.providers.llms.local import resolve_model_path

    directory = Path(spec).expanduser()
    if (directory / "config.json").is_file():
        return str(directory), None
    try:
        path = resolve_model_path(spec)
    except BackendError:
        raise BackendError(f"hf model not found: '{spec}' (a transformers model directory or a GGUF model)") from None
    return str(path.parent), path.name


def load_pretrained(spec: str) -> tuple[Any, Any]:
    """A fresh (model, tokenizer) pair in float32; the tokenizer always has a pad token."""
    directory, gguf_file = model_source(spec)
    copy = dequantised_copy(Path(directory) / gguf_file) if gguf_file else None
    if copy is not None and copy.is_dir():
        model, tokenizer = read_pretrained(spec, str(copy), None)
    else:
        model, tokenizer = read_pretrained(spec, directory, gguf_file)
        if copy is not None:
            forget_gguf_origin(model)
            keep_dequantised(model, tokenizer, copy)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not tokenizer.chat_template:
        raise BackendError(f"hf model '{spec}' has no chat template")
    return model, tokenizer


def read_pretrained(spec: str, directory: str, gguf_file: str | None) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    extra = {"gguf_file": gguf_file} if gguf_file else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, **extra)
        model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32, **extra)
    except (OSError, ValueError) as error:
        raise BackendError(f"cannot load hf model '{spec}': {str(error).splitlines()[0]}") from None
    return model, tokenizer


def dequantised_copy(gguf: Path) -> Path:
    """Where the transformers copy of ``gguf`` is kept: named by the file's path, size and time, and transformers'
    version (a changed file or another dequantiser makes a new copy)."""
    import transformers

    source = gguf.resolve()
    stat = source.stat()
    key = f"{source} {stat.st_size} {stat.st_mtime_ns} {transformers.__version__}"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "storypainter" / "dequantised"
    return cache / f"{gguf.stem}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"


def keep_dequantised(model: Any, tokenizer: Any, copy: Path) -> None:
    """Save the dequantised model for later processes, whole or not at all (written aside, then renamed). A copy
    that cannot be written (a read-only or full disk) is skipped: this load has its model either way."""
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        aside = Path(tempfile.mkdtemp(prefix=f".{copy.name}-", dir=copy.parent))
    except OSError:
        return
    try:
        model.save_pretrained(aside)
        tokenizer.save_pretrained(aside)
        aside.rename(copy)  # fails if another process kept its copy first: theirs stays
    except OSError:
        pass
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def forget_gguf_origin(model: Any) -> None:
    """Weights from a GGUF file are already dequantised: drop the quantizer marks so it trains and saves as usual."""
    model.hf_quantizer, model.is_quantized, model.quantization_method = None, False, None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def shared_model(spec: str) -> tuple[Any, Any]:
    """(model, tokenizer) loaded once per process, in eval mode."""
    with _load_lock:
        if spec not in _models:
            import torch

            torch.set_num_threads(int(os.environ.get("STORYPAINTER_THREADS", os.cpu_count() or 1)))
            model, tokenizer = load_pretrained(spec)
            _models[spec] = (model.eval(), tokenizer)
        return _models[spec]


def object_openers(spec: str, tokenizer: Any) -> list[int]:
    """Token ids whose text, leading spaces aside, starts a JSON object (computed once per model)."""
    if spec not in _openers:
        _openers[spec] = [
            token_id
            for token_id in range(len(tokenizer))
            if tokenizer.decode([token_id], skip_special_tokens=True).lstrip().startswith("{")
        ]
    return _openers[spec]


def closed_object_end(text: str) -> int | None:
    """The index just past the first complete top-level JSON object in ``text``, or None."""
    depth, in_string, escaped = 0, False, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif in_string:
            escaped = char == "\\"
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char in "{}":
            depth += 1 if char == "{" else -1
            if depth == 0:
                return index + 1
    return None


def json_controls(spec: str, tokenizer: Any, prompt_length: int) -> dict[str, Any]:
    """generate() arguments: the first token opens an object; stop once it is closed."""
    import torch
    from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

    openers = torch.tensor(object_openers(spec, tokenizer))

    class OpenObject(LogitsProcessor):
        def __call__(self, input_ids, scores):
            if input_ids.shape[1] == prompt_length:
                allowed = torch.full_like(scores, float("-inf"))
                allowed[:, openers] = scores[:, openers]
                return allowed
            return scores

    class ObjectClosed(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            text = tokenizer.decode(input_ids[0, prompt_length:], skip_special_tokens=True)
            return torch.tensor([closed_object_end(text) is not None])

    return {
        "logits_processor": LogitsProcessorList([OpenObject()]),
        "stopping_criteria": StoppingCriteriaList([ObjectClosed()]),
    }


def cut_at_stop(text: str, stop: list[str] | None) -> str:
    cuts = [text.find(word) for word in stop or [] if word in text]
    return text[: min(cuts)] if cuts else text


class HFChatModel(BaseChatModel):
    """transformers causal LM as a chat model; ``json_schema=...`` makes it answer one JSON object."""

    model_spec: str
    temperature: float = 0.7
    max_tokens: int = 1024
    seed: int = 0
    repetition_penalty: float = 1.0
    structured_style: ClassVar[str] = "grammar"
    accepts_seed: ClassVar[bool] = True

    @property
    def _llm_type(self) -> str:
        return "storypainter-hf"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_spec": self.model_spec}

    def _prepare(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> tuple[Any, Any, Any, int, dict]:
        """The model, its tokenizer, the prompt's tensors and length, and generate() settings."""
        model, tokenizer = shared_model(self.model_spec)
        inputs = tokenizer.apply_chat_template(
            to_chat_messages(messages), add_generation_prompt=True, return_dict=True, return_tensors="pt"
        )
        prompt_length = inputs["input_ids"].shape[1]
        temperature = float(kwargs.get("temperature", self.temperature))
        settings: dict[str, Any] = {
            "max_new_tokens": int(kwargs.get("max_tokens", self.max_tokens)),
            "do_sample": temperature > 0,
            "repetition_penalty": self.repetition_penalty,
            "pad_token_id": tokenizer.pad_token_id,
        }
        if temperature > 0:
            settings["temperature"] = temperature
        if kwargs.get("json_schema"):
            settings.update(json_controls(self.model_spec, tokenizer, prompt_length))
        return model, tokenizer, inputs, prompt_length, settings

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        import torch

        model, tokenizer, inputs, prompt_length, settings = self._prepare(messages, kwargs)
        with _decode_lock, torch.inference_mode():
            torch.manual_seed(int(kwargs.get("seed", self.seed)))
            output = model.generate(**inputs, **settings)
        new_tokens = output[0, prompt_length:]
        text = cut_at_stop(tokenizer.decode(new_tokens, skip_special_tokens=True), stop)
        message = AIMessage(content=text, usage_metadata=usage_metadata(prompt_length, len(new_tokens)),
                            response_metadata={"model": self.model_spec})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Text as generate() decodes it (transformers' TextIteratorStreamer; stop words are not applied).

        A caller that stops reading early also stops the generation before the model is freed.
        """
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        model, tokenizer, inputs, prompt_length, settings = self._prepare(messages, kwargs)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        abandoned = threading.Event()

        class Abandoned(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), abandoned.is_set(), dtype=torch.bool)

        settings["stopping_criteria"] = StoppingCriteriaList([*settings.get("stopping_criteria", []), Abandoned()])
        outcome: dict[str, Any] = {}

        def generate() -> None:
            try:
                with torch.inference_mode():
                    torch.manual_seed(int(kwargs.get("seed", self.seed)))
                    outcome["output"] = model.generate(**inputs, **settings, streamer=streamer)
            except Exception as error:  # handed to the caller's thread below
                outcome["error"] = error
                streamer.end()

        with _decode_lock:
            worker = threading.Thread(target=generate, daemon=True)
            worker.start()
            try:
                for text in streamer:
                    if text:
                        yield token_chunk(text, run_manager)
            finally:
                abandoned.set()
                worker.join()
        if "error" in outcome:
            raise outcome["error"]
        yield closing_chunk(prompt_length, outcome["output"].shape[1] - prompt_length, {"model": self.model_spec})


def hf_chat_model(name: str, options: dict[str, Any], temperature: float, seed: int) -> HFChatModel:
    model_source(name)
    return HFChatModel(
        model_spec=name,
        temperature=float(options.get("temperature", temperature)),
        max_tokens=int(options.get("max_tokens", 1024)),
        seed=seed,
        repetition_penalty=float(options.get("repetition_penalty", 1.0)),
    )
