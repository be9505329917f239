"""The example store: Chroma collections of examples under ``<memory_dir>/chroma``.

- One collection per corpus source and embedding model, named from both. Its metadata
  records the embedder, the vector dimension and a fingerprint (hash) of the records; a
  mismatch rebuilds it, a match reuses it without embedding anything. The fingerprint is
  written last, so an interrupted build is rebuilt next time.
- Vectors always come from the project's embedder (``backends/embeddings.py``): collections
  have no embedding function and every call passes ``embeddings=``/``query_embeddings=``.
  Space is cosine; each Example is kept as JSON in its metadata and round-trips exactly.
- The ``generated`` collection mirrors self-memory (``generated.jsonl``) incrementally:
  new lines are embedded and added, vanished or rewritten lines are deleted.
- Where: an embedded directory (``PersistentClient``) by default, or a Chroma server
  (``chroma run``, ``HttpClient``) when ``chroma_url`` is set, so many workers and machines
  read one index. Writers take a file lock in memory_dir (one writer per machine); a build
  claims its collection on the server by creating it with the fingerprint ``building``, so
  a worker on another machine waits for that build (up to ``BUILD_WAIT_SECONDS``, then
  takes over an abandoned one) instead of deleting it; vectors go in by ``upsert``.
  On a server, self-memory's collection is named per machine and memory_dir.
- Search: ``similar`` is Chroma's nearest neighbours; ``mmr`` takes a pool of
  ``max(4k, 20)`` nearest with their vectors and picks k greedily (langchain_core's
  ``maximal_marginal_relevance``). Then the remembered story nearest to the query takes
  the last slot when k > 1, its score passed the remember threshold and its cosine similarity to the query is at least
  ``GENERATED_MIN_SIMILARITY``; the copy guard still compares the story with it.

chromadb is imported inside functions only, so importing this module stays light.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import numpy as np
from langchain_core.vectorstores.utils import maximal_marginal_relevance

from storypainter.agent.context import DEFAULT_TIMEOUT
from storypainter.errors import BackendError, ConfigError
from storypainter.memory.corpus import load_corpus
from storypainter.memory.self_memory import generated_path, remembered_stories
from storypainter.schema import Example

if TYPE_CHECKING:
    from storypainter.agent.context import Context
    from storypainter.providers.embeddings import Embedder

Strategy = Literal["similar", "mmr"]
GENERATED_MIN_SIMILARITY = 0.5
NAME_JUNK = re.compile(r"[^a-z0-9]+")
SLUG_CHARS = 40
BUILDING = "building"
BUILD_WAIT_SECONDS = 600.0  # how long a server build by another worker may take before it counts as abandoned
BUILD_POLL_SECONDS = 0.5
NO_ANSWER = "the server did not answer in time (the timeout setting); is the Chroma server well?"
DESCRIBED = ("embedder", "dimension")


@dataclass(frozen=True)
class Hit:
    """One search result: the example and its cosine similarity to the query."""

    example: Example
    similarity: float

MMR_LAMBDA = 0.5
MMR_CANDIDATES = 20


def slug(text: str) -> str:
    return NAME_JUNK.sub("-", text.lower()).strip("-")[:SLUG_CHARS].strip("-") or "x"


def source_slug(source: str) -> str:
    """``seed``, or a file's stem plus a hash of its absolute path (two files never share a name)."""
    if source == "seed":
        return "seed"
    path = str(Path(source).expanduser().resolve())
    return f"{slug(Path(source).stem)}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"


def collection_name(kind: str, source: str, embedder_name: str) -> str:
    """A valid Chroma name (3-512 of [a-z0-9-], alphanumeric at both ends)."""
    return f"{kind}-{source}-{slug(embedder_name)}"


def fingerprint(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(example.model_dump_json().encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def metadata_of(example: Example, **extra: Any) -> dict[str, Any]:
    return {"example": example.model_dump_json(), "source": example.source, **extra}


def example_of(metadata: dict[str, Any]) -> Example:
    return Example.model_validate_json(metadata["example"])


def matches(collection: Any, expected: dict[str, Any]) -> bool:
    metadata = collection.metadata or {}
    return all(metadata.get(key) == value for key, value in expected.items())


@contextmanager
def chroma_errors(path: Path | str) -> Iterator[None]:
    """Turn Chroma's errors into one-line BackendErrors naming the store."""
    import httpx
    from chromadb.errors import ChromaError

    try:
        yield
    except ChromaError as error:
        raise BackendError(f"example store {path}: {str(error).splitlines()[0]}") from None
    except httpx.TimeoutException:
        raise BackendError(f"example store {path}: {NO_ANSWER}") from None


def builder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def building_elsewhere(metadata: dict[str, Any]) -> bool:
    """A build in progress by another live process: on another machine (assumed alive until
    ``BUILD_WAIT_SECONDS`` pass), or a live pid on this one; a dead pid's build is abandoned."""
    if metadata.get("fingerprint") != BUILDING:
        return False
    host, _, pid = str(metadata.get("builder", "")).rpartition(":")
    if host != socket.gethostname():
        return True
    return pid.isdigit() and int(pid) != os.getpid() and alive(int(pid))


def as_matrix(rows: Any, dimension: int) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32).reshape(-1, dimension)


class ExampleStore:
    """Examples of one corpus source (and self-memory) in Chroma, embedded by ``embedder``."""

    def __init__(
        self,
        memory_dir: str | Path,
        embedder: Embedder,
        source: str = "seed",
        generated_threshold: float = 0.6,
        url: str = "",
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.memory_dir = Path(memory_dir).expanduser()
        self.embedder, self.source, self.generated_threshold = embedder, source, generated_threshold
        self.url, self.timeout = url, timeout
        self.path = url or self.memory_dir / "chroma"  # where the index lives, as messages name it
        self._client_instance = None
        self._ready: dict[str, Any] = {}
        self._generated: tuple[Any, Any, int] | None = None
        self._lock = threading.RLock()
        self._writers = None  # the cross-process lock, made on first write (the directory may not exist yet)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One writer per store on this machine: concurrent first builds by several processes take turns,
        and a late one finds the index its predecessor built instead of deleting it under its feet."""
        from filelock import FileLock

        with self._lock:
            if self._writers is None:
                self.memory_dir.mkdir(parents=True, exist_ok=True)
                self._writers = FileLock(str(self.memory_dir / "chroma.lock"))
            with self._writers:
                yield

    @property
    def client(self):
        if self._client_instance is None:
            import chromadb
            from chromadb.config import Settings

            settings = Settings(anonymized_telemetry=False)
            try:
                if self.url:
                    self._client_instance = self.server_client(settings)
                    self._client_instance.heartbeat()
                else:
                    Path(self.path).mkdir(parents=True, exist_ok=True)
                    self._client_instance = chromadb.PersistentClient(path=str(self.path), settings=settings)
            except Exception as error:  # chromadb raises assorted types for a bad, locked or absent store
                if "Timeout" in type(error).__name__:
                    raise BackendError(f"example store {self.path}: {NO_ANSWER}") from None
                raise BackendError(f"example store {self.path}: {str(error).splitlines()[0]}") from None
        return self._client_instance

    def server_client(self, settings: Any) -> Any:
        """A client of the server at ``url`` whose every request waits at most ``timeout``: chromadb's own
        session waits forever, so a probe with the deadline comes first, then the session gets it."""
        import chromadb
        import httpx

        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 8000)
        httpx.get(f"{parts.scheme}://{parts.hostname}:{port}/api/v2/heartbeat", timeout=self.timeout)
        client = chromadb.HttpClient(host=parts.hostname, port=port, ssl=parts.scheme == "https", settings=settings)
        client._server._session.timeout = httpx.Timeout(self.timeout)  # chromadb has no setting for it
        return client

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.embedder.encode(texts), dtype=np.float32)

    def corpus_name(self, source: str | None = None) -> str:
        return collection_name("corpus", source_slug(source or self.source), self.embedder.name)

    @property
    def generated_name(self) -> str:
        """Self-memory's collection; on a shared server one per machine and memory_dir, since each
        mirrors its own generated.jsonl (and deletes what that file lacks)."""
        if not self.url:
            return collection_name("generated", "memory", self.embedder.name)
        owner = f"{socket.gethostname()}:{self.memory_dir.resolve()}"
        return collection_name("generated", hashlib.sha256(owner.encode()).hexdigest()[:12], self.embedder.name)

    def _expected(self, prints: str) -> dict[str, Any]:
        return {"embedder": self.embedder.name, "dimension": int(self.embedder.dimension), "fingerprint": prints}

    def _existing(self, name: str):
        from chromadb.errors import NotFoundError

        try:
            return self.client.get_collection(name)
        except NotFoundError:
            return None

    def _create(self, name: str, metadata: dict[str, Any]):
        existing = self._existing(name)
        if existing is not None:
            self._drop(name)
        return self._claim(name, metadata)

    def _claim(self, name: str, metadata: dict[str, Any]):
        """Create ``name``; None when another writer created it first (the server refuses a second)."""
        from chromadb.errors import ChromaError

        try:
            return self.client.create_collection(
                name, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata, embedding_function=None
            )
        except ChromaError as error:
            if self._existing(name) is not None:  # lost the race: someone else's build
                return None
            raise error from None

    def _drop(self, name: str) -> None:
        from chromadb.errors import NotFoundError

        with suppress(NotFoundError):  # another writer dropped it first
            self.client.delete_collection(name)

    def _add(self, collection, ids: list[str], examples: Sequence[Example], extra: list[dict] | None = None) -> None:
        batch = self.client.get_max_batch_size()
        for start in range(0, len(examples), batch):
            chunk = examples[start : start + batch]
            vectors = self.embed([example.description for example in chunk])
            metadatas = [
                metadata_of(example, **(extra[start + offset] if extra else {}))
                for offset, example in enumerate(chunk)
            ]
            documents = [example.description for example in chunk]
            collection.upsert(ids=ids[start : start + batch], embeddings=vectors, metadatas=metadatas,
                              documents=documents)

    def index(self, name: str, examples: Sequence[Example]) -> tuple[Any, bool]:
        """The collection ``name`` holding ``examples``; True when this call (re)built it.

        Build once: a matching fingerprint is reused; a collection being built elsewhere (a
        server shared by machines whose file locks do not meet) is waited for; a stale or
        abandoned one is dropped and claimed again (see the module docstring)."""
        from chromadb.errors import ChromaError

        expected = self._expected(fingerprint(examples))
        deadline = time.monotonic() + BUILD_WAIT_SECONDS
        with self.writing():
            while True:
                current = self._existing(name)
                if current is not None and matches(current, expected):
                    return current, False
                metadata = (current.metadata or {}) if current is not None else {}
                if self.url and building_elsewhere(metadata) and time.monotonic() < deadline:
                    time.sleep(BUILD_POLL_SECONDS)  # another machine's build: wait, never delete it
                    continue
                if current is not None:
                    self._drop(name)
                collection = self._claim(name, {**expected, "fingerprint": BUILDING, "builder": builder()})
                if collection is None:
                    continue
                try:
                    self._add(collection, [example.id for example in examples], examples)
                    collection.modify(metadata=expected)
                except ChromaError:
                    if self._existing(name) is None:  # dropped under us by a late writer: start over
                        continue
                    raise
                return collection, True

    def build(self, source: str | None = None) -> dict[str, Any]:
        """Index a corpus source (default: the store's); good records go in, problems are listed."""
        source = source or self.source
        started = time.perf_counter()
        loaded = load_corpus(source)
        if not loaded.examples:
            raise ConfigError(f"{source}: no usable examples ({len(loaded.problems)} malformed records)")
        name = self.corpus_name(source)
        with chroma_errors(self.path):
            collection, rebuilt = self.index(name, loaded.examples)
            self._ready[name] = collection
            _, generated = self.generated()
        return {
            "source": source,
            "collection": name,
            "count": collection.count(),
            "rebuilt": rebuilt,
            "problems": loaded.problems,
            "generated": generated,
            "seconds": round(time.perf_counter() - started, 2),
        }

    def corpus(self):
        """The corpus collection, built or checked once per store object."""
        name = self.corpus_name()
        if name not in self._ready:
            self.build()
        return self._ready[name]

    def generated(self) -> tuple[Any, int]:
        """The ``generated`` collection and its size, synced again only when generated.jsonl changed on disk."""
        path = generated_path(self.memory_dir)
        stamp = (path.stat().st_mtime_ns, path.stat().st_size) if path.is_file() else None
        with self._lock:
            if self._generated is None or self._generated[0] != stamp:
                collection = self.sync_generated()
                self._generated = (stamp, collection, collection.count())
            return self._generated[1], self._generated[2]

    def sync_generated(self):
        """Mirror generated.jsonl into the ``generated`` collection: add new lines, drop vanished ones."""
        with self.writing():
            name = self.generated_name
            expected = self._expected("incremental")
            current = self._existing(name)
            if current is None or not matches(current, expected):
                current = self._create(name, expected) or self._existing(name)
            stories = remembered_stories(self.memory_dir)
            stored = set(current.get(include=[])["ids"])
            wanted = {story.id for story in stories}
            if stale := sorted(stored - wanted):
                current.delete(ids=stale)
            fresh = [story for story in stories if story.id not in stored]
            if fresh:
                extra = [{"score": story.score} for story in fresh]
                self._add(current, [story.id for story in fresh], [story.example for story in fresh], extra)
            return current

    def nearest(self, collection, vector: np.ndarray, count: int, where: dict | None = None) -> tuple[list[Hit], Any]:
        """Up to ``count`` nearest examples with their similarities, and their vectors."""
        if count < 1:
            return [], as_matrix([], len(vector))
        found = collection.query(
            query_embeddings=[vector], n_results=count, where=where,
            include=["metadatas", "distances", "embeddings"],
        )
        hits = [
            Hit(example_of(metadata), 1.0 - float(distance))
            for metadata, distance in zip(found["metadatas"][0], found["distances"][0], strict=True)
        ]
        return hits, as_matrix(found["embeddings"][0], len(vector))

    def query(self, text: str, k: int, strategy: Strategy = "similar") -> list[Hit]:
        """The k examples for ``text`` under ``strategy``, with their similarities."""
        if not text.strip():
            raise ConfigError("query text is empty")
        if strategy not in ("similar", "mmr"):
            raise ConfigError(f"unknown retrieval strategy '{strategy}' (use similar or mmr)")
        vector = self.embed([text])[0]
        with self._lock, chroma_errors(self.path):
            pool = k if strategy == "similar" else max(4 * k, MMR_CANDIDATES)
            hits, vectors = self.nearest(self.corpus(), vector, pool)
            if strategy == "mmr":
                picks = maximal_marginal_relevance(vector, vectors, lambda_mult=MMR_LAMBDA, k=k)
                hits = [hits[index] for index in picks]
            return self.with_generated(hits[:k], vector, k)

    def with_generated(self, hits: list[Hit], vector: np.ndarray, k: int) -> list[Hit]:
        """Give the last slot to the nearest remembered story when it qualifies (see module docstring)."""
        if k < 2:
            return hits
        collection, count = self.generated()
        if count == 0:
            return hits
        best, _ = self.nearest(collection, vector, 1, where={"score": {"$gte": self.generated_threshold}})
        if not best or best[0].similarity < GENERATED_MIN_SIMILARITY:
            return hits
        return [*hits[: k - 1], best[0]]

    def search(self, query: str, k: int, strategy: Strategy = "similar") -> list[Example]:
        """The k in-context examples for ``query`` (used by the retriever)."""
        return [hit.example for hit in self.query(query, k, strategy)]

    def info(self) -> dict[str, Any]:
        """Collections with their counts and metadata, the embedder and the paths."""
        with chroma_errors(self.path):
            collections = [
                {"name": c.name, "count": c.count(), **{key: (c.metadata or {}).get(key) for key in DESCRIBED}}
                for c in self.client.list_collections()
            ]
        return {
            "path": str(self.path),
            "self_memory": str(generated_path(self.memory_dir)),
            "embedder": self.embedder.name,
            "source": self.source,
            "corpus_collection": self.corpus_name(),
            "collections": sorted(collections, key=lambda item: item["name"]),
        }


@cache
def cached_store(memory_dir: str, source: str, embeddings: str, generated_threshold: float,
                 url: str = "", timeout: float = DEFAULT_TIMEOUT) -> ExampleStore:
    from storypainter.providers.embeddings import get_embedder

    return ExampleStore(memory_dir, get_embedder(embeddings), source, generated_threshold, url, timeout)


os.register_at_fork(after_in_child=cached_store.cache_clear)  # a Chroma client is not fork-safe


def example_store(context: Context) -> ExampleStore:
    """The store for a context, shared per memory_dir, source, embeddings and threshold."""
    memory_dir = str(Path(context.memory_dir).expanduser().resolve())
    return cached_store(memory_dir, context.examples_source, context.embeddings, context.remember_threshold,
                        context.chroma_url, context.timeout)

