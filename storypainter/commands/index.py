"""``storypainter index build|info|query``: the Chroma example store behind dynamic in-context learning."""

from __future__ import annotations

import argparse

DESCRIPTION_CHARS = 100


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("index", help="build, inspect or query the example store")
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="embed a corpus into the store (rebuilt only when it changed)")
    info = actions.add_parser("info", help="collections, counts, embedder and paths")
    query = actions.add_parser("query", help="the examples a request would get")
    query.add_argument("text", help="what the examples should resemble, e.g. 'a rainy bus stop at night'")
    query.add_argument("-k", type=int, default=3, help="how many examples (default 3)")
    query.add_argument("--strategy", choices=["similar", "mmr"], default="similar", help="retrieval strategy")
    for sub in (build, info, query):
        sub.add_argument("--source", help="'seed' or a CogBench-format .json / project .jsonl file")
        sub.add_argument("--config", help="a shipped config by name or a YAML file (default: the defaults)")


def run(args: argparse.Namespace) -> int:
    from storypainter.config import load_context
    from storypainter.errors import ConfigError
    from storypainter.memory.store import example_store

    context = load_context(args.config, check_models=False, examples_source=args.source)  # no storyteller here
    store = example_store(context)
    if args.action == "build":
        return print_build(store.build())
    if args.action == "info":
        return print_info(store.info())
    if args.k < 1:
        raise ConfigError(f"-k must be at least 1, got {args.k}")
    return print_hits(store.query(args.text, args.k, args.strategy))


def print_build(report: dict) -> int:
    for problem in report["problems"]:
        print(f"skipped {problem}")
    state = "rebuilt" if report["rebuilt"] else "up to date, reused"
    print(f"{report['collection']}: {report['count']} examples from {report['source']} ({state}, {report['seconds']}s)")
    if report["problems"]:
        print(f"{len(report['problems'])} malformed record(s) skipped")
    print(f"self-memory: {report['generated']} remembered stories indexed")
    return 0


def print_info(info: dict) -> int:
    print(f"store        {info['path']}")
    print(f"self-memory  {info['self_memory']}")
    print(f"embedder     {info['embedder']}")
    print(f"source       {info['source']} -> {info['corpus_collection']}")
    if not info["collections"]:
        print("no collections yet: run 'storypainter index build'")
    for item in info["collections"]:
        print(f"  {item['name']:<48} {item['count']:>7} examples  {item['embedder']} ({item['dimension']}d)")
    return 0


def print_hits(hits) -> int:
    for rank, hit in enumerate(hits, start=1):
        text = hit.example.description
        short = text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 3] + "..."
        print(f"{rank}. {hit.example.id:<12} {hit.similarity:.3f}  {short}")
    return 0
