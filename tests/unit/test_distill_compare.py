"""distill compare: the same prompts for every model, and the table's numbers (no model involved)."""

from __future__ import annotations

from storypainter.distill.compare import ModelResult, Outcome, build_prompts, markdown_table, metrics
from storypainter.providers.embeddings import get_embedder
from storypainter.schema import Story
from tests.fakes import story_json


def test_prompts_are_the_storyteller_prompts_and_repeat_for_the_same_seed():
    first, again = build_prompts(3, seed=5, examples_k=2), build_prompts(3, seed=5, examples_k=2)
    assert [prompt.seed for prompt in first] == [5, 6, 7]
    assert [p.messages for p in first] == [p.messages for p in again]
    assert all(len(prompt.examples) == 2 and prompt.messages[0].type == "system" for prompt in first)


def test_metrics_and_table_count_valid_stories_and_json_replies():
    prompts = build_prompts(3, seed=0, examples_k=0)
    sequence = story_json(description="A boy climbs a stool, then he falls.")
    outcomes = [
        Outcome(Story.model_validate_json(story_json()), [story_json()], 2.0),
        Outcome(Story.model_validate_json(sequence), [sequence], 4.0),
        Outcome(None, ['{"title": "Half"}'], 6.0),
    ]
    row = metrics(ModelResult("student", "hf:x", outcomes), prompts, get_embedder("hash"))
    assert row["valid"] == 2 and row["json_object_rate"] == 1.0 and row["single_moment_rate"] == 0.5
    assert round(row["story_keys"], 2) == round((1 + 1 + 1 / 9) / 3, 2)
    assert round(row["schema_valid_rate"], 2) == 0.67 and row["seconds_per_story"] == 4.0
    assert row["diversity"] is not None and row["semantic"] > 0
    table = markdown_table({"student": row, "base": metrics(ModelResult("base", "x", [Outcome(None, ["no"], 1.0)] * 3),
                                                            prompts, get_embedder("hash"))})
    lines = table.splitlines()
    assert lines[0].startswith("| model | schema-valid |") and "67% (2/3)" in lines[2]
    assert lines[3].startswith("| base | 0% (0/3) | 0% | 0% | - |")
