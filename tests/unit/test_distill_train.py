"""distill train: SFT and DPO of a tiny random Llama (built here) run, save a merged student,
and the student serves as the graph's storyteller through the ``hf:`` provider."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

pytest.importorskip("torch", reason="needs the distill extra (torch)")
pytest.importorskip("transformers", reason="needs the distill extra (transformers)")
pytest.importorskip("datasets", reason="needs the distill extra (datasets)")
pytest.importorskip("peft", reason="needs the distill extra (peft)")
pytest.importorskip("trl", reason="needs the distill extra (trl)")

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from storypainter.agent.graph import build_graph, run_config
from storypainter.distill.export import Filters, export_runs
from storypainter.distill.train import TrainSettings, train
from storypainter.providers import registry
from storypainter.providers.llms.hf import hf_chat_model
from storypainter.schema import Story
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
THEME = "a rainy bus stop"
SHORT_STORY = {"characters": [], "objects": ["umbrella"], "cors": [], "visible_text": [],
               "description": "An old man holds a broken umbrella over a girl at a bus stop."}

torch.set_num_threads(1)


def build_tiny_model(texts: list[str], out: Path) -> Path:
    """A 2-layer random Llama and a byte-level BPE tokenizer (with a chat template) trained on ``texts``.

    Weights start large (``initializer_range``) so that LoRA alone can make the frozen output layer
    confident: with the usual 0.02 the logits of a 64-wide model cannot leave the uniform.
    """
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    bpe = trainers.BpeTrainer(vocab_size=1200, special_tokens=["<|im_start|>", "<|im_end|>"],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(texts, bpe)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   pad_token="<|im_end|>")
    fast.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(fast), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=4096, bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id, initializer_range=0.3,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(out)
    fast.save_pretrained(out)
    return out


def graph_run(context) -> dict:
    return build_graph().invoke({"theme": THEME}, context=context, config=run_config(context))


def single_pass(scripted, model, folder: Path, **overrides):
    """A one-round CoR run context (critic scores, never loops) writing under ``folder``."""
    registry.clear_cache()
    context = scripted(model, ScriptedJudge([lambda point: "yes"]), critic_loop=False, max_rounds=1, examples_k=0,
                       **overrides)
    return replace(context, out_dir=str(folder / "runs"), memory_dir=str(folder / "memory"))


@pytest.fixture
def distill_data(scripted, tmp_path) -> Path:
    """Teacher, student and small-model runs of one theme and seed, exported; plus a tiny base model."""
    teacher = graph_run(single_pass(scripted, ScriptedChatModel(replies=[story_json(**SHORT_STORY)]),
                                    tmp_path / "teacher"))
    assert teacher["result"].decision_path == ["accept"]
    graph_run(single_pass(scripted, ScriptedChatModel(replies=['{"title": "Bus"}', story_json()]),
                          tmp_path / "student", max_repairs=1))
    graph_run(single_pass(scripted, ScriptedChatModel(replies=[story_json(title="Small")]), tmp_path / "small"))
    data = tmp_path / "data"
    export_runs([str(tmp_path / "teacher" / "runs")], data, Filters(min_score=0.1), [str(tmp_path / "student")],
                [str(tmp_path / "small")], eval_split=0)
    records = [json.loads(line) for line in (data / "sft.jsonl").read_text().splitlines()]
    build_tiny_model([message["content"] for message in records[0]["messages"]], tmp_path / "base")
    return data


def settings(tmp_path: Path, method: str, **changes) -> TrainSettings:
    values = dict(method=method, base=str(tmp_path / "base"), data=str(tmp_path / "data"), out=str(tmp_path / method),
                  steps=2, grad_accum=2, lora_r=4, max_length=4096, progress=False, logging_steps=1)
    return TrainSettings(**(values | changes))


def test_sft_student_writes_the_teacher_story_as_the_graph_storyteller(distill_data, scripted, tmp_path, monkeypatch):
    monkeypatch.setenv("STORYPAINTER_THREADS", "1")
    card = train(settings(tmp_path, "sft", steps=30, grad_accum=1, lora_r=16, learning_rate=1e-2))
    assert card["records"] == {"train": 1, "eval": 0} and card["train_loss"][-1] < card["train_loss"][0] / 5
    assert {"config.json", "model.safetensors", "tokenizer.json", "distill.json"} <= {
        path.name for path in (tmp_path / "sft").iterdir()
    }
    context = single_pass(scripted, ScriptedChatModel(replies=[]), tmp_path / "as-student",
                          llm=f"hf:{tmp_path / 'sft'}", llm_options={"temperature": 0, "max_tokens": 400})
    output = graph_run(context)
    assert output["story"] == Story.model_validate_json(story_json(**SHORT_STORY))
    student = hf_chat_model(str(tmp_path / "sft"), {"max_tokens": 400}, temperature=0, seed=0)
    record = json.loads((tmp_path / "data" / "sft.jsonl").read_text().splitlines()[0])
    roles = {"system": SystemMessage, "user": HumanMessage}
    question = [roles[message["role"]](content=message["content"]) for message in record["messages"][:-1]]
    chunks = list(student.stream(question, json_schema={"type": "object"}))
    whole = student.invoke(question, json_schema={"type": "object"})
    assert len(chunks) > 5, "the student's reply streams in pieces"
    assert "".join(str(chunk.content) for chunk in chunks) == whole.content
    assert sum(chunks[1:], chunks[0]).usage_metadata == whole.usage_metadata, "token counts survive streaming"
    threads = threading.active_count()
    abandoned = student.stream(question, json_schema={"type": "object"})
    next(abandoned)
    assert threading.active_count() == threads + 1, "generation runs beside the reader"
    abandoned.close()
    assert threading.active_count() == threads, "a reader that stops early stops the generation"
    assert student.invoke(question, json_schema={"type": "object"}).content == whole.content


def test_dpo_and_dpo_mix_train_on_their_own_pairs_and_save_a_merged_model(distill_data, tmp_path):
    dpo = train(settings(tmp_path, "dpo"))
    mix = train(settings(tmp_path, "dpo-mix", eval_split=0.5))
    assert dpo["records"] == {"train": 1, "eval": 0}
    assert mix["records"] == {"train": 1, "eval": 1} and "eval_loss" in mix["eval"]
    assert len(dpo["train_loss"]) == 2
    config = json.loads((tmp_path / "dpo-mix" / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    assert not list((tmp_path / "dpo").glob("adapter_*"))


def test_a_dequantised_copy_is_kept_whole_once_and_loads_the_same_model(tmp_path):
    """A GGUF base's transformers copy (``hf.keep_dequantised``): the copy gives the same logits and chat template;
    a second process's copy leaves the first in place and nothing aside; an unwritable cache is skipped."""
    from storypainter.providers.llms.hf import keep_dequantised, read_pretrained

    source = build_tiny_model(["a rainy bus stop", "an old man with an umbrella"], tmp_path / "tiny")
    model, tokenizer = read_pretrained("tiny", str(source), None)
    copy = tmp_path / "cache" / "tiny-0123"
    keep_dequantised(model, tokenizer, copy)
    again, again_tokenizer = read_pretrained("tiny", str(copy), None)
    ids = torch.tensor([tokenizer("a rainy bus stop")["input_ids"]])
    with torch.no_grad():
        assert torch.equal(model(ids).logits, again(ids).logits)
    assert again_tokenizer.chat_template == CHAT_TEMPLATE

    kept = {path: path.stat().st_mtime_ns for path in copy.iterdir()}
    keep_dequantised(model, tokenizer, copy)  # another process finished second
    assert {path: path.stat().st_mtime_ns for path in copy.iterdir()} == kept
    assert sorted(path.name for path in copy.parent.iterdir()) == [copy.name], "no half-written copy left aside"

    (tmp_path / "blocked").write_text("a file where the cache folder would be")
    keep_dequantised(model, tokenizer, tmp_path / "blocked" / "tiny-0123")  # no copy, no error
