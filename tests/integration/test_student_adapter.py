"""A LoRA student trained with transformers runs in llama.cpp on the shipped GGUF base, unchanged:
the GGUF adapter (with llama.cpp's rotary row order for Q and K) moves llama.cpp's
log-probabilities the way the merged transformers model moves them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storypainter.distill.teacher import export_teacher_corpus
from storypainter.distill.train import TrainSettings, latest_checkpoint, train
from storypainter.memory.teacher import TEACHER_DIR
from storypainter.providers.llms.local import resolve_model_path

pytestmark = pytest.mark.slow


def completion_ids(student: Path, data: Path) -> list[int]:
    from transformers import AutoTokenizer

    record = json.loads((data / "sft.jsonl").read_text().splitlines()[0])
    tokenizer = AutoTokenizer.from_pretrained(student)
    return tokenizer(tokenizer.apply_chat_template(record["messages"], tokenize=False))["input_ids"][:160]


def llama_logprobs(ids: list[int], lora: str = "") -> np.ndarray:
    from llama_cpp import Llama

    model = Llama(model_path=str(resolve_model_path("smollm2")), n_ctx=256, n_threads=1, logits_all=True,
                  verbose=False, **({"lora_path": lora} if lora else {}))
    model.eval(ids)
    logits = np.asarray(model.scores[: len(ids)], dtype=np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    logprobs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return np.array([logprobs[index, ids[index + 1]] for index in range(len(ids) - 1)])


def torch_logprobs(ids: list[int], spec: str) -> np.ndarray:
    import torch

    from storypainter.providers.llms.hf import load_pretrained

    model = load_pretrained(spec)[0].eval()
    with torch.no_grad():
        logprobs = model(torch.tensor([ids])).logits[0].log_softmax(-1).numpy()
    return np.array([logprobs[index, ids[index + 1]] for index in range(len(ids) - 1)])


def test_the_gguf_adapter_matches_the_merged_student_and_training_resumes(tmp_path, monkeypatch):
    """Also: the base is dequantised from its GGUF once; the resume and the base's log-probabilities below load
    the transformers copy that the first load kept (so a broken copy breaks the comparison)."""
    monkeypatch.setenv("STORYPAINTER_THREADS", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "part.jsonl").write_text("".join((TEACHER_DIR / "part-01.jsonl").read_text().splitlines(True)[:2]))
    export_teacher_corpus(tmp_path / "data", eval_split=0, folder=corpus)
    settings = TrainSettings(method="sft", base="smollm2", data=str(tmp_path / "data"), out=str(tmp_path / "student"),
                             steps=4, grad_accum=1, lora_r=8, learning_rate=5e-3, save_steps=2, progress=False)
    first = train(settings)
    [copy] = (tmp_path / "cache" / "storypainter" / "dequantised").iterdir()
    assert copy.name.startswith(resolve_model_path("smollm2").stem) and (copy / "model.safetensors").is_file()
    checkpoints = tmp_path / "student" / "checkpoints"
    assert latest_checkpoint(checkpoints).endswith("checkpoint-4") and len(first["train_loss"]) == 4
    saved = {path: path.stat().st_mtime_ns for path in checkpoints.rglob("*") if path.is_file()}
    again = train(settings)  # a rerun of a finished job resumes at its last checkpoint: no step is trained again
    assert again["train_loss"] == first["train_loss"], "the history is the checkpoint's, nothing added"
    assert {path: path.stat().st_mtime_ns for path in checkpoints.rglob("*") if path.is_file()} == saved, \
        "no checkpoint was written again (a retrain from scratch rewrites them)"

    student = tmp_path / "student"
    ids = completion_ids(student, tmp_path / "data")
    llama_base, llama_student = llama_logprobs(ids), llama_logprobs(ids, str(student / "adapter.gguf"))
    torch_base, torch_student = torch_logprobs(ids, "smollm2"), torch_logprobs(ids, str(student))
    assert llama_student.mean() > llama_base.mean() + 0.05, "the adapter makes the trained story likelier"
    assert np.corrcoef(llama_student - llama_base, torch_student - torch_base)[0, 1] > 0.8
    assert (student / "adapter.gguf").stat().st_size < 25_000_000
