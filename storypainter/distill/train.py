"""Fine-tune a small model on exported data with TRL and a LoRA adapter, then save it merged.

- ``sft``: supervised fine-tuning on the teacher's stories. ``sft.jsonl`` holds
  conversations; they are trained as prompt + completion, so the loss covers the story only.
- ``dpo``: direct preference optimisation, the teacher's story preferred over the
  ``--rejected`` model's reply (records with source ``rejected``).
- ``dpo-mix``: DPO that also rejects the smaller models' replies (every record).

The LoRA reference model for DPO is the base itself (adapter disabled). The adapter is
merged into the base (``merge_and_unload``) and saved with the tokenizer and a
``distill.json`` card, so ``hf:<out>`` serves it as a storyteller.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from storypainter.errors import ConfigError
from storypainter.runs import write_json

METHODS = ("sft", "dpo", "dpo-mix")
DPO_SOURCES = {"dpo": {"rejected"}, "dpo-mix": {"rejected", "mix"}}


@dataclass(frozen=True)
class TrainSettings:
    method: str
    base: str
    data: str
    out: str
    steps: int = 30
    lora_r: int = 8
    grad_accum: int = 4
    seed: int = 0
    eval_split: float | None = None
    learning_rate: float = 2e-4
    max_length: int = 2048
    beta: float = 0.1
    logging_steps: int = 1
    progress: bool = True


def data_files(settings: TrainSettings) -> dict[str, Path]:
    """The train (and, when present, eval) JSONL files for the method."""
    kind = "sft" if settings.method == "sft" else "dpo"
    folder = Path(settings.data).expanduser()
    files = {"train": folder / f"{kind}.jsonl", "eval": folder / f"{kind}.eval.jsonl"}
    if not files["train"].is_file():
        raise ConfigError(f"--data: {files['train']} not found (run 'storypainter distill export' first)")
    if files["train"].stat().st_size == 0:
        hint = " (export with --rejected or --mix runs)" if kind == "dpo" else ""
        raise ConfigError(f"--data: {files['train']} holds no records{hint}")
    return {split: path for split, path in files.items() if path.is_file() and path.stat().st_size > 0}


def as_prompt_completion(record: dict[str, Any]) -> dict[str, Any]:
    """A conversation as prompt + completion, so that only the last (assistant) turn is trained."""
    return {"prompt": record["messages"][:-1], "completion": record["messages"][-1:]}


def load_splits(settings: TrainSettings) -> dict[str, Any]:
    """{"train": Dataset, "eval": Dataset | None} for the method, re-split when --eval-split is given."""
    from datasets import concatenate_datasets, load_dataset

    loaded = load_dataset("json", data_files={split: str(path) for split, path in data_files(settings).items()})
    if settings.method != "sft":
        sources = DPO_SOURCES[settings.method]
        loaded = loaded.filter(lambda record: record["source"] in sources)
    else:
        loaded = loaded.map(as_prompt_completion, remove_columns=["messages"])
    evaluation = loaded.get("eval")
    splits = {"train": loaded["train"], "eval": evaluation if evaluation is not None and len(evaluation) else None}
    if settings.eval_split is not None:
        whole = concatenate_datasets([split for split in splits.values() if split is not None])
        splits = resplit(whole, settings.eval_split, settings.seed)
    if len(splits["train"]) == 0:
        raise ConfigError(f"--data: no {settings.method} training records in {settings.data}")
    return splits


def resplit(dataset: Any, eval_split: float, seed: int) -> dict[str, Any]:
    if not 0 <= eval_split < 1:
        raise ConfigError(f"--eval-split must be in [0, 1), got {eval_split}")
    if eval_split == 0 or len(dataset) < 2:
        return {"train": dataset, "eval": None}
    parts = dataset.train_test_split(test_size=eval_split, seed=seed)
    return {"train": parts["train"], "eval": parts["test"]}


def common_arguments(settings: TrainSettings, scratch: Path) -> dict[str, Any]:
    import torch

    gpu = torch.cuda.is_available()
    return {
        "output_dir": str(scratch),
        "max_steps": settings.steps,
        "per_device_train_batch_size": 1,
        "per_device_eval_batch_size": 1,
        "gradient_accumulation_steps": settings.grad_accum,
        "learning_rate": settings.learning_rate,
        "max_length": settings.max_length,
        "logging_steps": settings.logging_steps,
        "save_strategy": "no",
        "report_to": "none",
        "seed": settings.seed,
        "data_seed": settings.seed,
        "disable_tqdm": not settings.progress,
        "dataloader_num_workers": 0,
        "use_cpu": not gpu,
        "bf16": gpu and torch.cuda.is_bf16_supported(),
        "activation_checkpointing": False,
    }


def build_trainer(settings: TrainSettings, model: Any, tokenizer: Any, splits: dict[str, Any], scratch: Path):
    from peft import LoraConfig

    lora = LoraConfig(
        r=settings.lora_r, lora_alpha=2 * settings.lora_r, lora_dropout=0.0,
        target_modules="all-linear", task_type="CAUSAL_LM",
    )
    common = {"model": model, "processing_class": tokenizer, "peft_config": lora,
              "train_dataset": splits["train"], "eval_dataset": splits["eval"]}
    if settings.method == "sft":
        from trl import SFTConfig, SFTTrainer

        return SFTTrainer(args=SFTConfig(**common_arguments(settings, scratch)), **common)
    from trl import DPOConfig, DPOTrainer

    return DPOTrainer(args=DPOConfig(beta=settings.beta, **common_arguments(settings, scratch)), **common)


def check_settings(settings: TrainSettings) -> None:
    if settings.method not in METHODS:
        raise ConfigError(f"--method: unknown method '{settings.method}' (use {', '.join(METHODS)})")
    for name in ("steps", "lora_r", "grad_accum", "max_length"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")


def train(settings: TrainSettings) -> dict[str, Any]:
    """Train, merge and save the student; returns the card written to ``out/distill.json``."""
    import tempfile

    from transformers import set_seed

    from storypainter.providers.llms.hf import load_pretrained

    check_settings(settings)
    splits = load_splits(settings)
    set_seed(settings.seed)
    model, tokenizer = load_pretrained(settings.base)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="storypainter-distill-") as scratch:
        trainer = build_trainer(settings, model, tokenizer, splits, Path(scratch))
        trainer.train()
        evaluation = trainer.evaluate() if splits["eval"] is not None else {}
        history = trainer.state.log_history
    out = Path(settings.out).expanduser()
    trainer.model.merge_and_unload().save_pretrained(out)
    tokenizer.save_pretrained(out)
    card = {
        "settings": asdict(settings),
        "records": {split: 0 if data is None else len(data) for split, data in splits.items()},
        "train_loss": [entry["loss"] for entry in history if "loss" in entry],
        "eval": {key: value for key, value in evaluation.items() if isinstance(value, int | float)},
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(out / "distill.json", card)
    return card
