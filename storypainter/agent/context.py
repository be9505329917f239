"""Runtime settings of a run: the ONLY place their defaults and bounds live.

A pydantic dataclass, so LangGraph Studio shows it as a form (each field's description
below), and every way of building it is validated alike: ``Context(...)`` in Python, a
YAML config, command-line flags and Studio. The defaults are the embedded offline
default (no key, no GPU, no network); the shipped configs only state what differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator
from pydantic.dataclasses import dataclass

from storypainter.credentials import refuse_credentials
from storypainter.ledger import PRICE_KEYS
from storypainter.limits import tree_problem

MAX_ROUNDS = 20
BUILTIN_EMBEDDINGS = ("minilm", "hash")
SEED_STRIDE = 7919  # attempt seeds are seed * SEED_STRIDE + attempt number (attempts.py); a prime, no collisions
MAX_SEED = 2**63 // SEED_STRIDE - 1  # so every derived seed (attempt number < SEED_STRIDE) fits a signed 64-bit int
DEFAULT_TIMEOUT = 120.0
MAX_TIMEOUT = 3600.0
RAY_RESOURCES = ("num_cpus", "num_gpus", "memory_gib")  # Ray's own; any other key is a custom resource
MAX_RESOURCE = 4096.0
MAX_PRICE = 1_000_000.0  # dollars per unit: a bound that catches a misplaced decimal point


def setting(default: Any, description: str) -> Any:
    """A field with its default and its description for Studio (bounds go in the type)."""
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata={"description": description})
    return field(default=default, metadata={"description": description})


Fraction = Annotated[float, Field(ge=0, le=1)]


@dataclass(kw_only=True, config=ConfigDict(extra="forbid"))
class Context:
    """Everything a run needs besides its theme."""

    mode: Literal["naive", "cor"] = setting("cor", "prompt mode: naive (just ask) or cor (CoR-guided + examples)")
    llm: str = setting("local:mini-storyteller", "storyteller: local:mini-storyteller (the shipped student), "
                       "local:smollm2 (its base), openai:gpt-4.1, ...")
    llm_options: dict[str, Any] = setting({}, "storyteller options (max_tokens, n_ctx, base_url, timeout, ...)")
    painter: str = setting("storyboard", "painter provider: storyboard, diffusers:<model>, openai-images:<model>")
    painter_options: dict[str, Any] = setting({}, "painter options (steps, guidance, size, ...)")
    judge: str = setting("layout", "'layout' (checks the painter's layout) or 'vlm:<provider string>'")
    visible_text_check: bool = setting(True, "read the story's visible texts in the picture (OCR, the ocr extra, "
                                       "when installed); a missing or garbled text sends the picture back")
    key_points: Literal["story", "llm"] = setting("story", "key points from the story's CoRs, or extracted by the LLM")
    embeddings: str = setting("minilm", "'minilm', 'hash' or a sentence-transformers directory")
    retrieval: Literal["none", "random", "similar", "mmr"] = setting("random", "in-context example strategy")
    examples_k: Annotated[int, Field(ge=0, le=10)] = setting(2, "in-context examples per request")
    examples_source: str = setting("seed", "'seed' (the project's corpus) or a path to a CogBench JSON file")
    critic_loop: bool = setting(True, "false: the paper's single pass")
    max_rounds: Annotated[int, Field(ge=1, le=MAX_ROUNDS)] = setting(3, "attempt budget")
    alignment_threshold: Fraction = setting(0.75, "alignment the critic needs to accept")
    min_cors: Annotated[int, Field(ge=0, le=21)] = setting(3, "valid chains of reasoning a story needs")
    coherence: str = setting(
        "learned", "chain-coherence judge: 'learned' (shipped, offline), 'llm:<provider string>' or 'off'")
    theme_check: bool = setting(True, "send back a story that leaves its theme's place or time (evaluation/theme.py)")
    coherence_threshold: Fraction = setting(0.5, "a chain counts (semantic score) and passes the critic only when "
                                            "the judge gives it at least this probability of following from its clues")
    copy_threshold: Annotated[float, Field(gt=0, le=1)] = setting(0.35, "n-gram overlap that counts as copying")
    max_repairs: Annotated[int, Field(ge=0, le=5)] = setting(2, "re-asks after a malformed reply")
    temperature: Annotated[float, Field(ge=0, le=2)] = setting(0.7, "sampling temperature")
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = setting(0, "seed of the run (sampling, layout, picture); "
                                                              f"0..{MAX_SEED:,}")
    timeout: Annotated[float, Field(gt=0, le=MAX_TIMEOUT)] = setting(
        DEFAULT_TIMEOUT, "seconds one network call (model server, image API, Chroma server) may wait for an answer; "
        "shorten it to give up on a hung server sooner (llm_options.timeout overrides it for the storyteller)")
    width: Annotated[int, Field(ge=32, le=4096)] = setting(768, "picture width in pixels")
    height: Annotated[int, Field(ge=32, le=4096)] = setting(512, "picture height in pixels")
    out_dir: Annotated[str, Field(min_length=1)] = setting("runs", "where run directories go")
    memory_dir: Annotated[str, Field(min_length=1)] = setting(".storypainter", "example store and self-memory")
    remember_threshold: Fraction = setting(0.6, "score a story needs to be remembered")
    review: bool = setting(False, "pause for a person after the storyteller and the critic")
    chroma_url: str = setting("", "example store on a Chroma server (http://127.0.0.1:8000, from `chroma run`) "
                              "instead of the embedded directory in memory_dir; empty: embedded")
    prices: dict[str, dict[str, Annotated[float, Field(ge=0, le=MAX_PRICE, strict=True)]]] = setting(
        {}, "US dollars per provider string for the cost ledger: input_per_mtok and output_per_mtok (per "
        "million tokens) for an LLM, per_image and/or per_gpu_hour for a painter, each a number (not true or '2.5'); "
        "unpriced models cost null")
    item_resources: dict[str, Annotated[float, Field(ge=0, le=MAX_RESOURCE)]] = setting(
        {}, "Ray engine: what one batch item's worker holds (num_cpus, num_gpus, memory_gib, or a custom "
        "resource's name); empty: 1 CPU")

    @field_validator("llm_options", "painter_options", mode="before")
    @classmethod
    def bounded_options(cls, options: Any) -> Any:
        """Options are a small tree (a YAML alias bomb is refused before anything copies it)."""
        if problem := tree_problem(options):
            raise ValueError(f"options are {problem}")
        return options

    @field_validator("llm_options", "painter_options")
    @classmethod
    def no_secrets(cls, options: dict[str, Any], info: Any) -> dict[str, Any]:
        """Secrets come from the environment only (storypainter/credentials.py: the rule)."""
        refuse_credentials(options, info.field_name)
        return options

    @field_validator("prices")
    @classmethod
    def known_price_keys(cls, prices: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for provider, entry in prices.items():
            if unknown := sorted(set(entry) - set(PRICE_KEYS)):
                raise ValueError(f"prices.{provider}: unknown key {unknown[0]!r} (use {', '.join(PRICE_KEYS)})")
        return prices

    @field_validator("chroma_url")
    @classmethod
    def server_url(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"'{value}' is not an http(s)://host:port address of a Chroma server")
        try:
            parts.port  # noqa: B018 (urlsplit checks the port only when asked)
        except ValueError:
            raise ValueError(f"'{value}' has no valid port (1..65535)") from None
        refuse_credentials(value, "chroma_url")
        return value

    @field_validator("embeddings")
    @classmethod
    def known_embeddings(cls, value: str) -> str:
        if value not in BUILTIN_EMBEDDINGS and not Path(value).expanduser().is_dir():
            raise ValueError(f"'{value}' is neither {' nor '.join(BUILTIN_EMBEDDINGS)} nor a model directory")
        return value

    def fingerprint(self) -> str:
        """A short hash of every setting, for the run manifest."""
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
