"""A real Ray cluster on 127.0.0.1 for tests and benchmarks: its own temp dir, its own ports,
and stopped by signalling the process groups it started (never ``ray stop``, which would
stop every Ray on the machine).

Ray turns 127.0.0.1 into the machine's address unless told otherwise: the head and the
driver get Ray's switch ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (loopback only), which
refuses a second node, so a second node's ``ray start`` runs with Ray's localhost
resolution turned off instead (``SECOND_NODE``). Every port Ray would otherwise take from a
fixed default is given a free one, so a cluster here never meets another Ray on the machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
SECOND_NODE = """
import sys
import ray._private.services as services
services.resolve_ip_for_localhost = lambda host: host  # keep --node-ip-address=127.0.0.1 as given
from ray.scripts.scripts import main
sys.argv[0] = "ray"
main()
"""

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ray_env(loopback: bool = True) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY") and key != "RAY_ADDRESS"}
    env.update(RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0", ANONYMIZED_TELEMETRY="False",
               HF_HUB_OFFLINE="1", STORYPAINTER_THREADS="1")
    if loopback:
        env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    else:
        env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
    return env


def node_ports() -> list[str]:
    """Free ports for everything a Ray node would otherwise take from a fixed default."""
    return [f"--{name}={free_port()}" for name in ("dashboard-agent-listen-port", "dashboard-agent-grpc-port",
                                                    "metrics-export-port", "runtime-env-agent-port")]


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process group this test started: SIGTERM, then SIGKILL what is left."""
    for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.time() + grace
        while time.time() < deadline and group_alive(process.pid):
            time.sleep(0.2)
        process.poll()


def group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            member = entry.name.isdigit() and os.getpgid(int(entry.name)) == pgid
            if member and (entry / "stat").read_text().split(") ")[-1].split()[0] != "Z":
                return True
        except (OSError, ProcessLookupError):
            continue
    return False


def cluster_nodes(address: str) -> int:
    probe = "import ray; ray.init(address=%r, logging_level='ERROR'); print(sum(n['Alive'] for n in ray.nodes()))"
    done = subprocess.run([sys.executable, "-c", probe % address], env=ray_env(), capture_output=True, text=True,
                          timeout=120)
    return int(done.stdout.split()[-1]) if done.returncode == 0 and done.stdout.split() else 0


@contextmanager
def ray_cluster(nodes: int = 2, cpus: int = 1) -> Iterator[tuple[str, Path]]:
    """A Ray cluster of ``nodes`` nodes on 127.0.0.1 (``cpus`` CPUs each); yields its address and temp dir."""
    temp = Path(tempfile.mkdtemp(prefix="sp-ray-", dir="/tmp"))  # short: Ray's socket paths have a length limit
    port = free_port()
    address = f"127.0.0.1:{port}"
    started: list[subprocess.Popen] = []
    try:
        with open(temp / "head.log", "w") as head_log, open(temp / "node.log", "w") as node_log:
            started.append(subprocess.Popen(
                [str(BIN / "ray"), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
                 f"--num-cpus={cpus}", f"--temp-dir={temp}", "--include-dashboard=false", "--disable-usage-stats",
                 "--block", f"--ray-client-server-port={free_port()}", *node_ports()],
                env=ray_env(), start_new_session=True, stdout=head_log, stderr=subprocess.STDOUT))
            deadline = time.time() + 120
            while cluster_nodes(address) < 1:
                assert time.time() < deadline and started[0].poll() is None, (temp / "head.log").read_text()[-3000:]
                time.sleep(1)
            for count in range(2, nodes + 1):
                started.append(subprocess.Popen(
                    [sys.executable, "-c", SECOND_NODE, "start", f"--address={address}",
                     "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}", "--disable-usage-stats", "--block",
                     *node_ports()],
                    env=ray_env(loopback=False), start_new_session=True, stdout=node_log, stderr=subprocess.STDOUT))
                while cluster_nodes(address) < count:
                    assert time.time() < deadline and started[-1].poll() is None, (temp / "node.log").read_text()
                    time.sleep(1)
            yield address, temp
    finally:
        for process in reversed(started):
            stop_group(process)
        subprocess.run(["rm", "-rf", str(temp)], check=False)


