"""``storypainter distill``: Mini-Storytellers (export data, train a student, compare it with its base).

- ``export RUN_DIR... --out DIR``: SFT and DPO JSONL from teacher runs (``--rejected`` and
  ``--mix`` runs give the rejected replies), or from the seed corpus (``--seed-corpus``).
- ``train --method sft|dpo|dpo-mix --base MODEL --data DIR --out DIR``: TRL + LoRA, merged.
- ``compare --student DIR --base MODEL -n N``: a markdown table on the same prompts and seeds.

Training and comparing need the ``distill`` extra (trl, peft, datasets, accelerate, gguf).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_export_parser(commands) -> None:
    parser = commands.add_parser("export", help="SFT/DPO JSONL from run directories or the seed corpus")
    parser.add_argument("runs", nargs="*", metavar="RUN_DIR", help="teacher run directories (or folders of runs)")
    parser.add_argument("--out", required=True, help="output folder for sft.jsonl, dpo.jsonl and their eval files")
    parser.add_argument("--min-score", type=float, help="keep teacher runs whose critic score is at least this")
    parser.add_argument("--min-alignment", type=float, help="keep teacher runs whose alignment is at least this")
    parser.add_argument("--rejected", nargs="+", default=[], metavar="RUN_DIR", help="student/base runs: DPO rejected")
    parser.add_argument("--mix", nargs="+", default=[], metavar="RUN_DIR", help="smaller models' runs: DPO-Mix")
    parser.add_argument("--seed-corpus", action="store_true",
                        help="export the project's seed corpus instead of runs (hand-written, not teacher outputs)")
    parser.add_argument("--teacher-corpus", action="store_true",
                        help="export the shipped teacher corpus in the student's compact prompt format")
    parser.add_argument("--examples-k", type=int, default=3, help="in-context examples per seed-corpus prompt")
    parser.add_argument("--eval-split", type=float, default=0.1, help="share of teachers held out (default 0.1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")


def add_train_parser(commands) -> None:
    from storypainter.commands.settings_flags import add_dataclass_flags
    from storypainter.distill.train import TrainSettings

    parser = commands.add_parser("train", help="fine-tune a student with TRL and LoRA (resumable)")
    add_dataclass_flags(parser, TrainSettings, required=("data", "out"))


def add_compare_parser(commands) -> None:
    parser = commands.add_parser("compare", help="student vs base on the same prompts and seeds (markdown)")
    parser.add_argument("--student", required=True, help="the trained student's folder")
    parser.add_argument("--base", required=True, help="the base model (directory or GGUF model)")
    parser.add_argument("-n", type=int, default=10, help="prompts (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="first prompt seed (default 0)")
    parser.add_argument("--examples-k", type=int, default=3, help="in-context examples per prompt (default 3)")
    parser.add_argument("--repairs", type=int, default=0, help="repair rounds per story (default 0)")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--max-tokens", type=int, default=1024)
    parser.add_argument("--embeddings", default="minilm", help="'minilm', 'hash' or a model directory")
    parser.add_argument("--out", help="folder for compare.md and compare.json (stories and raw replies)")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("distill", help="Mini-Storytellers: export data, train a student, compare")
    commands = parser.add_subparsers(dest="distill_command", required=True)
    add_export_parser(commands)
    add_train_parser(commands)
    add_compare_parser(commands)


def run_export(args: argparse.Namespace) -> int:
    from storypainter.distill.export import Filters, export_runs
    from storypainter.distill.seed import export_seed_corpus
    from storypainter.errors import ConfigError

    if not 0 <= args.eval_split < 1:
        raise ConfigError(f"--eval-split must be in [0, 1), got {args.eval_split}")
    if [bool(args.runs), args.seed_corpus, args.teacher_corpus].count(True) != 1:
        raise ConfigError("export: give RUN_DIR..., --seed-corpus or --teacher-corpus (one of them)")
    out = Path(args.out).expanduser()
    if args.teacher_corpus:
        from storypainter.distill.teacher import export_teacher_corpus

        result = export_teacher_corpus(out, args.eval_split, args.seed)
    elif args.seed_corpus:
        result = export_seed_corpus(out, args.examples_k, args.eval_split, args.seed)
    else:
        filters = Filters(args.min_score, args.min_alignment)
        result = export_runs(args.runs, out, filters, args.rejected, args.mix, args.eval_split, args.seed)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(", ".join(f"{name}: {count}" for name, count in result.counts.items()) + f" -> {out}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from storypainter.commands.settings_flags import context_overrides
    from storypainter.distill.train import TrainSettings, train

    card = train(TrainSettings(**context_overrides(args, TrainSettings)))
    print(f"student saved to {args.out} (use llm 'hf:{args.out}'; llama.cpp adapter: {args.out}/adapter.gguf); "
          f"eval {card['eval']}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from storypainter.distill.compare import compare
    from storypainter.errors import ConfigError
    from storypainter.runs import atomic_write_bytes, to_jsonable

    if args.n < 1:
        raise ConfigError("-n must be at least 1")
    settings = {
        "seed": args.seed, "examples_k": args.examples_k, "repairs": args.repairs, "temperature": args.temperature,
        "max_tokens": args.max_tokens, "embeddings": args.embeddings,
    }
    table, details = compare({"student": args.student, "base": args.base}, args.n, settings)
    if args.out:
        out = Path(args.out).expanduser()
        atomic_write_bytes(out / "compare.md", (table + "\n").encode("utf-8"))
        text = json.dumps(to_jsonable(details), indent=2, ensure_ascii=False)
        atomic_write_bytes(out / "compare.json", (text + "\n").encode("utf-8"))
    print(table)
    return 0


def run(args: argparse.Namespace) -> int:
    handlers = {"export": run_export, "train": run_train, "compare": run_compare}
    return handlers[args.distill_command](args)
