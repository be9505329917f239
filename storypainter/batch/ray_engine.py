"""The Ray engine: a batch's items on a Ray cluster (the ``ray`` extra).

Each worker is a Ray actor (``ItemWorker``) that runs one item at a time through the same
``run_item`` as the local engine, so the batch directory, items/NNNN run directories and
resume rules are the same and a batch can move between engines. An actor's process keeps
its loaded models across items (the provider registry caches them per process), so
``local:``/``hf:``/``diffusers:`` weights load once per worker, not once per item. Each actor
holds ``Context.item_resources`` (``num_cpus``, ``num_gpus``, ``memory_gib``, custom ones).

A worker that dies mid-item (a crash, the OOM killer, a lost node) is restarted by Ray and
its item is retried (``ITEM_RETRIES`` times); the retry resumes the item's run from its
checkpoints. Workers write the results themselves, so the batch directory must be one that
every node sees at the same path (a shared file system); so must memory_dir, unless
retrieval uses a Chroma server (``chroma_url``). Secrets are never shipped: each node reads
them from its own environment (set them where ``ray start`` runs).

Ray replaces 127.0.0.1 by the machine's network address; for a driver on loopback (no
``--address``, or a 127.x/localhost one) this engine sets Ray's own switch
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` before importing Ray, which keeps every Ray
process it talks to or starts bound to 127.0.0.1.
"""

from __future__ import annotations

import math
import os
import socket
from collections import deque
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storypainter import interrupts
from storypainter.agent.context import RAY_RESOURCES, Context
from storypainter.batch.items import ItemOutcome, run_item
from storypainter.batch.local import MAX_CONCURRENCY
from storypainter.errors import ConfigError

ITEM_RETRIES = 3  # tries of an item after the worker running it died
FORWARDED_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "ANONYMIZED_TELEMETRY", "STORYPAINTER_THREADS")
LOOPBACK_HOSTS = ("localhost", "::1")
GIB = 1 << 30
DEFAULT_RAY_PORT = 6379
PROBE_SECONDS = 5.0
WAIT_SECONDS = 0.5


class ItemWorker:
    """A Ray actor: runs items one at a time in a process that keeps its loaded models."""

    def __init__(self, batch_dir: str, context: dict[str, Any]):
        import ray

        self.batch_dir, self.context = Path(batch_dir), Context(**context)
        node = ray.get_runtime_context().get_node_id()[:12]
        self.where = f"pid {os.getpid()} on {socket.gethostname()}, Ray node {node}"

    def run(self, item: dict) -> dict[str, Any]:
        outcome = run_item(self.batch_dir, item, self.context)
        outcome.worker = self.where
        return asdict(outcome)


def loopback(address: str | None) -> bool:
    if not address or address == "local":
        return True
    host = urlsplit(address if "://" in address else f"ray://{address}").hostname or ""
    return host.startswith("127.") or host in LOOPBACK_HOSTS


def check_address(address: str | None) -> None:
    """An ``--address`` is ``auto``, ``local`` or HOST[:PORT] with a port in 1..65535 (checked before anything runs)."""
    if address in (None, "auto", "local"):
        return
    try:
        parts = urlsplit(address if "://" in address else f"ray://{address}")
        parts.port  # noqa: B018 (urlsplit checks the port only when asked)
    except ValueError:
        raise ConfigError(f"engine ray, --address {address}: not HOST:PORT with a port in 1..65535") from None
    if not parts.hostname:
        raise ConfigError(f"engine ray, --address {address}: no host (use HOST:PORT or auto)")


def check_resources(cluster: dict[str, float], options: dict[str, Any]) -> None:
    """Refuse ``item_resources`` that no worker could ever hold: Ray would wait for them forever."""
    for name, amount in needs(options).items():
        if amount and cluster.get(name, 0) < amount:
            shown = f"{amount / GIB:g} GiB memory" if name == "memory" else f"{amount:g} {name}"
            held = cluster.get(name, 0) / GIB if name == "memory" else cluster.get(name, 0)
            raise ConfigError(f"item_resources: one item needs {shown}, but the Ray cluster has {held:g} in all; "
                              "lower item_resources or add nodes that have it")


def check_reachable(address: str) -> None:
    """Refuse at once an address nobody answers on (Ray itself retries for minutes)."""
    parts = urlsplit(address if "://" in address else f"ray://{address}")
    if address == "auto" or not parts.hostname:
        return
    try:
        with socket.create_connection((parts.hostname, parts.port or DEFAULT_RAY_PORT), timeout=PROBE_SECONDS):
            pass
    except OSError as error:
        raise ConfigError(f"engine ray, --address {address}: nothing answers there ({error.strerror or error}); "
                          "is the cluster up (ray start --head)?") from None


def connect(address: str | None) -> tuple[Any, bool]:
    """Ray, connected to ``address`` (``auto``: the cluster on this machine) or to a new local
    cluster on 127.0.0.1 (``RAY_ADDRESS`` stands in for a missing ``address``, as in Ray); True when
    this call started that cluster."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    check_address(address)
    if loopback(address):
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise ConfigError("engine ray needs the ray extra: pip install 'storypainter[ray]'") from None
    env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
    settings: dict[str, Any] = {"logging_level": "ERROR", "log_to_driver": False, "runtime_env": {"env_vars": env}}
    started = address in (None, "local")
    if not started:
        check_reachable(address)
    try:
        if started:
            ray.init(address="local", include_dashboard=False, _node_ip_address="127.0.0.1", **settings)
        else:
            ray.init(address=address, **settings)
    except (ConnectionError, RuntimeError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        where = "a local Ray cluster: cannot start it" if started else f"--address {address}: cannot reach it"
        raise ConfigError(f"engine ray, {where}: {first}") from None
    interrupts.reclaim()  # Ray's init takes SIGTERM (a bare sys.exit): the batch must still mark its items
    return ray, started


def actor_options(resources: dict[str, float]) -> dict[str, Any]:
    """Ray actor options for ``Context.item_resources`` (1 CPU when it names none)."""
    options: dict[str, Any] = {"num_cpus": resources.get("num_cpus", 1)}
    if resources.get("num_gpus"):
        options["num_gpus"] = resources["num_gpus"]
    if resources.get("memory_gib"):
        options["memory"] = int(resources["memory_gib"] * GIB)
    custom = {name: amount for name, amount in resources.items() if name not in RAY_RESOURCES}
    if custom:
        options["resources"] = custom
    return options


def needs(options: dict[str, Any]) -> dict[str, float]:
    """What one worker with ``options`` takes, by the cluster's resource names."""
    return {"CPU": options["num_cpus"], "GPU": options.get("num_gpus", 0), "memory": options.get("memory", 0),
            **options.get("resources", {})}


def cluster_slots(cluster: dict[str, float], options: dict[str, Any]) -> int:
    """How many workers with ``options`` the cluster holds at once (at least 1)."""
    fits = [math.floor(cluster.get(name, 0) / amount) for name, amount in needs(options).items() if amount]
    return max(1, min([*fits, MAX_CONCURRENCY]))


class RayEngine:
    """Items on Ray actors, one item per actor at a time. Made before the batch writes anything
    (connected, its ``item_resources`` checked against the cluster); ``start`` makes the workers."""

    def __init__(self, context: Context, concurrency: int | None, address: str | None):
        self.ray, self.started = connect(address)
        self.context, self.actors, self.closed = context, [], False
        self.idle: deque = deque()
        self.running: dict[Any, tuple[Any, dict]] = {}
        try:
            self.options = actor_options(context.item_resources)
            resources = self.ray.cluster_resources()
            check_resources(resources, self.options)
            self.nodes = sum(node["Alive"] for node in self.ray.nodes())
            self.capacity = concurrency or cluster_slots(resources, self.options)
        except BaseException:
            self.close()
            raise

    def start(self, batch_dir: Path) -> None:
        worker = self.ray.remote(ItemWorker).options(max_restarts=-1, max_task_retries=ITEM_RETRIES, **self.options)
        payload = asdict(self.context)
        self.actors = [worker.remote(str(batch_dir), payload) for _ in range(self.capacity)]
        self.idle = deque(self.actors)

    def describe(self) -> str:
        held = ", ".join(f"{name}={value}" for name, value in self.options.items())
        where = "a local Ray cluster" if self.started else f"a Ray cluster of {self.nodes} nodes"
        return f"{self.capacity} in flight: Ray workers on {where} ({held} each)"

    def submit(self, item: dict) -> None:
        actor = self.idle.popleft()
        self.running[actor.run.remote(item)] = (actor, item)

    def wait(self) -> list[ItemOutcome]:
        ready: list = []
        while not ready:  # in short waits, so a signal is handled at once
            ready, _ = self.ray.wait(list(self.running), num_returns=1, timeout=WAIT_SECONDS)
        outcomes = []
        for ref in ready:
            actor, item = self.running.pop(ref)
            self.idle.append(actor)
            try:
                outcomes.append(ItemOutcome(**self.ray.get(ref)))
            except self.ray.exceptions.RayError as error:
                first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                outcomes.append(ItemOutcome(item["index"], item["theme"], "failed",
                                            error=f"Ray worker lost {ITEM_RETRIES + 1} times: {first[:200]}"))
        return outcomes

    def close(self, graceful: bool = True) -> None:
        """Kill the workers (an item cut short is marked by the batch) and leave the cluster; once."""
        if self.closed:
            return
        self.closed = True
        for actor in self.actors:
            self.ray.kill(actor)
        self.ray.shutdown()
