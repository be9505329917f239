"""Shared fixtures: scripted models registered as providers, runs under tmp_path."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from storypainter.agent.context import Context
from storypainter.providers import registry
from tests.fakes import ScriptedCoherence


@pytest.fixture
def scripted(tmp_path):
    """Register a scripted LLM and judge; return a function that builds their Context."""
    registry.clear_cache()
    installed = {}

    def setup(model, judge=None, coherence_judge=None, **overrides) -> Context:
        coherence_judge = coherence_judge or ScriptedCoherence()
        registry.register_llm("scripted", lambda name, options, context: model)
        registry.register_coherence_judge("scripted", lambda name, context, get_llm: coherence_judge)
        if judge is not None:
            registry.register_judge("scripted", lambda name, options, context, get_llm: judge)
        installed.update(model=model, judge=judge, coherence_judge=coherence_judge)
        settings = dict(
            llm="scripted:story", judge="scripted" if judge is not None else "layout", embeddings="hash",
            painter="storyboard", out_dir=str(tmp_path / "runs"), memory_dir=str(tmp_path / "memory"),
            retrieval="random", examples_k=2, max_rounds=3, width=512, height=352, visible_text_check=False,
            coherence="scripted", theme_check=False,  # scripted stories tell of a rainy bus stop whatever the theme
        )
        settings.update(overrides)
        return Context(**settings)

    yield setup
    registry.clear_cache()


def pytest_collection_modifyitems(config, items):
    """Under `make test`'s workers each slow module (``pytest.mark.slow(seconds=N)``: N its rough time on a busy
    machine) starts at the head of a worker's share, longest first, so none of them starts late and ends the run.

    pytest-xdist's work stealing hands worker k the k-th of equal contiguous shares of the collection, and an idle
    worker takes half of the busiest one's queue from its end. Slow modules are dealt to the shares longest first,
    each to the share with the least slow time so far; the other tests fill each share up to its size. A module's
    tests stay together (module fixtures start once per worker that runs them)."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers < 2:
        return
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    slow = sorted((tests for tests in modules.values() if tests[0].get_closest_marker("slow")), key=slow_seconds,
                  reverse=True)
    others = [item for tests in modules.values() if not tests[0].get_closest_marker("slow") for item in tests]
    shares: list[list] = [[] for _ in range(workers)]
    seconds = [0.0] * workers
    for tests in slow:
        lightest = seconds.index(min(seconds))
        shares[lightest] += tests
        seconds[lightest] += slow_seconds(tests)
    ordered: list = []
    for index, share in enumerate(share_sizes(len(items), workers)):
        taken = max(0, share - len(shares[index]))
        ordered += shares[index] + others[:taken]
        others = others[taken:]
    items[:] = ordered + others


def slow_seconds(tests: list) -> float:
    return float(tests[0].get_closest_marker("slow").kwargs.get("seconds", 60))


def share_sizes(count: int, workers: int) -> list[int]:
    """The sizes of the shares pytest-xdist's work stealing first hands its workers (``_send_tests``)."""
    sizes = []
    for index in range(workers):
        sizes.append(count // (workers - index))
        count -= sizes[-1]
    return sizes


def pytest_sessionfinish(session, exitstatus):
    """With STORYPAINTER_NO_SKIPS=1 (CI, `make test`: every extra installed) a skipped test fails the run, and so
    does an xfail-marked one (failing or passing): neither may hide a failure."""
    if not os.environ.get("STORYPAINTER_NO_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    hidden = {kind: len(reporter.stats.get(kind, [])) for kind in ("skipped", "xfailed", "xpassed")} if reporter else {}
    if any(hidden.values()):
        listed = ", ".join(f"{count} {kind}" for kind, count in hidden.items() if count)
        reporter.write_line(f"STORYPAINTER_NO_SKIPS: {listed}; every extra must be installed and no test marked xfail")
        session.exitstatus = 1
