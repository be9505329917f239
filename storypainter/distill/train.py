"""Fine-tune a small model on exported data with TRL and a LoRA adapter, then save it merged.

- ``sft``: supervised fine-tuning on the teacher's stories. ``sft.jsonl`` holds
  conversations; they are trained as prompt + completion, so the loss covers the story only.
- ``dpo``: direct preference optimisation, the teacher's story preferred over the
  ``--rejected`` model's reply (records with source ``rejected``).
- ``dpo-mix``: DPO that also rejects the smaller models' replies (every record).

The LoRA reference model for DPO is the base itself (adapter disabled).

Training is resumable: checkpoints go to ``<out>/checkpoints`` every ``save_steps``
optimizer steps, and the same command run again continues from the latest one (model,
optimizer, scheduler, data order). ``device`` picks ``cuda`` when asked (or available
with ``auto``). At the end ``<out>`` holds the merged model with the tokenizer and a
``distill.json`` card (``hf:<out>`` serves it), the PEFT adapter in ``<out>/adapter`` and,
for Llama-family bases, ``<out>/adapter.gguf``: the same adapter for llama.cpp, so
``local:`` runs the student on the shipped GGUF base.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from storypainter.errors import ConfigError
from storypainter.runs import write_json

METHODS = ("sft", "dpo", "dpo-mix")
DPO_SOURCES = {"dpo": {"rejected"}, "dpo-mix": {"rejected", "mix"}}
DISTILL_MODULES = ("torch", "transformers", "datasets", "peft", "trl")  # the distill extra


def option(default: Any, description: str) -> Any:
    return field(default=default, metadata={"description": description})


@dataclass(frozen=True)
class TrainSettings:
    """A training job; ``distill train`` generates its flags from these fields."""

    method: str = option("sft", "sft, dpo or dpo-mix")
    base: str = option("smollm2", "base model: a transformers directory or a GGUF model (smollm2, a .gguf path)")
    data: str = option("", "folder written by 'distill export'")
    out: str = option("", "folder for the student (merged model, adapter, adapter.gguf, checkpoints)")
    steps: int = option(30, "optimizer steps (ignored when --epochs is given)")
    epochs: float | None = option(None, "passes over the training data (instead of --steps)")
    lora_r: int = option(8, "LoRA rank")
    grad_accum: int = option(4, "gradient accumulation steps")
    seed: int = option(0, "seed of sampling, data order and split")
    eval_split: float | None = option(None, "re-split the exported data with this eval share")
    learning_rate: float = option(2e-4, "learning rate")
    max_length: int = option(2048, "tokens per sequence")
    beta: float = option(0.1, "DPO beta")
    logging_steps: int = option(1, "log the loss every N steps")
    save_steps: int = option(25, "checkpoint every N steps (a rerun resumes from the latest)")
    eval_steps: int = option(0, "evaluate every N steps (0: only at the end)")
    eval_limit: int = option(0, "evaluate on the first N evaluation records (0: all of them)")
    device: str = option("auto", "auto, cpu or cuda")
    progress: bool = option(True, "show a progress bar")


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
    if settings.eval_limit and splits["eval"] is not None:
        splits["eval"] = splits["eval"].select(range(min(settings.eval_limit, len(splits["eval"]))))
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


def use_gpu(device: str) -> bool:
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA GPU is visible")
    return device == "cuda" or (device == "auto" and torch.cuda.is_available())


def common_arguments(settings: TrainSettings, checkpoints: Path) -> dict[str, Any]:
    import torch

    gpu = use_gpu(settings.device)
    length = {"max_steps": settings.steps}
    if settings.epochs:
        length = {"num_train_epochs": settings.epochs, "max_steps": -1}
    return {
        "output_dir": str(checkpoints),
        **length,
        "per_device_train_batch_size": 1,
        "per_device_eval_batch_size": 1,
        "gradient_accumulation_steps": settings.grad_accum,
        "learning_rate": settings.learning_rate,
        "max_length": settings.max_length,
        "logging_steps": settings.logging_steps,
        "save_strategy": "steps",
        "save_steps": settings.save_steps,
        **({"eval_strategy": "steps", "eval_steps": settings.eval_steps} if settings.eval_steps else {}),
        "save_total_limit": 2,
        "report_to": "none",
        "seed": settings.seed,
        "data_seed": settings.seed,
        "disable_tqdm": not settings.progress,
        "dataloader_num_workers": 0,
        "use_cpu": not gpu,
        "bf16": gpu and torch.cuda.is_bf16_supported(),
        "activation_checkpointing": False,
    }


def build_trainer(settings: TrainSettings, model: Any, tokenizer: Any, splits: dict[str, Any], checkpoints: Path):
    from peft import LoraConfig

    lora = LoraConfig(
        r=settings.lora_r, lora_alpha=2 * settings.lora_r, lora_dropout=0.0,
        target_modules="all-linear", task_type="CAUSAL_LM",
    )
    common = {"model": model, "processing_class": tokenizer, "peft_config": lora,
              "train_dataset": splits["train"], "eval_dataset": splits["eval"]}
    if settings.method == "sft":
        from trl import SFTConfig, SFTTrainer

        arguments = SFTConfig(completion_only_loss=True, **common_arguments(settings, checkpoints))
        return SFTTrainer(args=arguments, **common)
    from trl import DPOConfig, DPOTrainer

    return DPOTrainer(args=DPOConfig(beta=settings.beta, **common_arguments(settings, checkpoints)), **common)


def check_settings(settings: TrainSettings) -> None:
    if settings.method not in METHODS:
        raise ConfigError(f"--method: unknown method '{settings.method}' (use {', '.join(METHODS)})")
    if settings.device not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"--device: '{settings.device}' is not one of auto, cpu, cuda")
    if settings.epochs is not None and settings.epochs <= 0:
        raise ConfigError("--epochs must be positive")
    for name in ("steps", "lora_r", "grad_accum", "max_length", "save_steps"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("eval_steps", "eval_limit"):
        if getattr(settings, name) < 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 0")


def require_distill() -> None:
    """The training libraries (the ``distill`` extra), or one line naming the extra."""
    import importlib.util

    for module in DISTILL_MODULES:
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"distill train needs the distill extra ({module} is not installed): "
                              "pip install 'storypainter[distill]'")


def train(settings: TrainSettings) -> dict[str, Any]:
    """Train, merge and save the student; returns the card written to ``out/distill.json``."""
    check_settings(settings)
    data_files(settings)  # bad input is named first, with or without the distill extra
    require_distill()
    from transformers import set_seed

    from storypainter.providers.llms.hf import load_pretrained

    splits = load_splits(settings)
    set_seed(settings.seed)
    model, tokenizer = load_pretrained(settings.base)
    started = time.perf_counter()
    out = Path(settings.out).expanduser()
    checkpoints = out / "checkpoints"
    trainer = build_trainer(settings, model, tokenizer, splits, checkpoints)
    trainer.train(resume_from_checkpoint=latest_checkpoint(checkpoints))
    evaluation = trainer.evaluate() if splits["eval"] is not None else {}
    history = trainer.state.log_history
    save_student(trainer.model, tokenizer, out)
    card = {
        "settings": asdict(settings),
        "records": {split: 0 if data is None else len(data) for split, data in splits.items()},
        "train_loss": [entry["loss"] for entry in history if "loss" in entry],
        "eval_loss": [[entry["step"], entry["eval_loss"]] for entry in history if "eval_loss" in entry],
        "eval": {key: value for key, value in evaluation.items() if isinstance(value, int | float)},
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(out / "distill.json", card)
    return card


def latest_checkpoint(checkpoints: Path) -> str | None:
    """The newest ``checkpoint-N`` folder to resume from, or None for a fresh start."""
    found = sorted(checkpoints.glob("checkpoint-*"), key=lambda path: int(path.name.rpartition("-")[2]))
    return str(found[-1]) if found else None


def save_student(peft_model: Any, tokenizer: Any, out: Path) -> None:
    """The adapter (PEFT and, for Llama bases, GGUF) and the merged model with its tokenizer."""
    from storypainter.distill.gguf_adapter import write_gguf_adapter

    peft_model.save_pretrained(out / "adapter")
    config = peft_model.get_base_model().config
    if config.model_type == "llama":
        write_gguf_adapter(out / "adapter", out / "adapter.gguf", config.num_attention_heads,
                           config.num_key_value_heads)
    peft_model.merge_and_unload().save_pretrained(out)
    tokenizer.save_pretrained(out)
