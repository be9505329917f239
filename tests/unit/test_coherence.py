"""Chain coherence without a model: the judge's training pairs, the semantic score and the critic's use of marks."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from storypainter.agent.graph import build_graph, run_config
from storypainter.distill.coherence_data import (
    SourceStory,
    build_pairs,
    flipped,
    in_eval_split,
    pairs_of,
    reversed_cause,
)
from storypainter.distill.coherence_train import CoherenceTrainSettings, check_settings, loss_weight
from storypainter.errors import ConfigError
from storypainter.evaluation.rules import check_story
from storypainter.evaluation.semantic import semantic_score
from storypainter.nodes.critic import attempt_score
from storypainter.schema import AlignmentReport, ChainMark, ChainOfReasoning, Story
from tests.fakes import ScriptedChatModel, ScriptedCoherence, story_json

ABSURD = "the election results are being announced"


def marks_for(story: Story, coherent: dict[int, float]) -> list[ChainMark]:
    """A mark per chain: 0.9 unless ``coherent`` gives that chain index another value."""
    return [ChainMark(chain=str(chain), dimension=chain.dimension, coherence=coherent.get(index, 0.9),
                      coherent=coherent.get(index, 0.9) >= 0.5, reason="no link" if index in coherent else "")
            for index, chain in enumerate(story.cors)]


def test_reversed_cause_swaps_cause_and_effect_in_each_form():
    assert reversed_cause("because it rained, the road is flooded") == "because the road is flooded, it rained"
    assert reversed_cause("the road is flooded because it rained") == "it rained because the road is flooded"
    assert reversed_cause("it rained, so the road is flooded") == "the road is flooded, so it rained"
    assert reversed_cause("the boy is hungry") is None


def test_flipped_replaces_a_mental_state_with_its_opposite():
    assert flipped("the mother is proud of her son", random.Random(0)) in {
        "the mother is ashamed of her son", "the stranger is proud of her son", "the mother is proud of her stranger"}
    assert flipped("a red bus", random.Random(0)) is None


def test_every_negative_kind_is_made_and_keeps_its_chain_clues():
    chains = (
        ChainOfReasoning(dimension="mental_state", clues=["wide smile", "raised trophy"],
                         conclusion="the girl is proud"),
        ChainOfReasoning(dimension="event_causal", clues=["puddle", "wet shoes"],
                         conclusion="because it rained, her shoes are soaked"),
        ChainOfReasoning(dimension="location", clues=["chalkboard", "rows of desks"], conclusion="a school classroom"),
    )
    other = (ChainOfReasoning(dimension="location", clues=["sand", "waves"], conclusion="a beach in summer"),)
    stories = [SourceStory("a", "teacher", "d", chains), SourceStory("b", "teacher", "d", other)]
    pairs = [pair for seed in range(20) for pair in pairs_of(stories, seed)]
    kinds = {pair.kind for pair in pairs if pair.label == 0}
    assert kinds == {"same_story", "other_story", "reversed_cause", "flipped", "restated"}
    for pair in pairs:
        original = next(chain for story in stories for chain in story.chains if tuple(chain.clues) == pair.clues)
        assert (pair.conclusion == original.conclusion) == (pair.label == 1)


def test_evaluation_stories_never_reach_training():
    splits = build_pairs(seed=0)
    train_stories = {pair.story for pair in splits["train"]}
    eval_stories = {pair.story for pair in splits["eval"]}
    assert train_stories.isdisjoint(eval_stories)
    assert all(in_eval_split(story) for story in eval_stories)
    train_conclusions = {pair.conclusion for pair in splits["train"] if pair.label == 1}
    borrowed = {pair.conclusion for pair in splits["train"] if pair.kind in ("same_story", "other_story")}
    assert borrowed <= train_conclusions  # a training negative never borrows an evaluation story's conclusion
    assert 0.05 < len(eval_stories) / (len(train_stories) + len(eval_stories)) < 0.15


def test_loss_weights_lighten_base_chains_and_can_weigh_human_scenes_more():
    settings = CoherenceTrainSettings(work="work", base_weight=0.2, seed_weight=3.0)
    pair = {"kind": "other_story", "source": "teacher"}
    assert [loss_weight(settings, pair | change) for change in
            ({}, {"source": "seed"}, {"source": "seed", "kind": "positive"}, {"kind": "base", "source": "base"})] \
        == [1.0, 3.0, 3.0, 0.2]
    for wrong in (0, 11):
        with pytest.raises(ConfigError, match="--seed-weight must be in"):
            check_settings(replace(settings, seed_weight=wrong))


def test_an_incoherent_chain_does_not_count_for_the_semantic_score():
    story = Story.model_validate_json(story_json())
    plain = semantic_score(story)
    marked = semantic_score(story, marks_for(story, {0: 0.1}))
    assert marked.score < plain.score
    assert any("does not follow from its clues (coherence 0.10)" in reason for reason in marked.rejected)
    assert semantic_score(story, marks_for(story, {})).score == plain.score


def test_check_story_names_each_incoherent_chain_and_why():
    story = Story.model_validate_json(story_json())
    check = check_story(story, [], marks=marks_for(story, {1: 0.05}))
    [violation] = [v for v in check.violations if v.rule == "incoherent_chain"]
    assert str(story.cors[1]) in violation.detail and "coherence 0.05: no link" in violation.detail
    assert str(story.cors[0]) not in violation.detail
    assert [mark.coherence for mark in check.chains][1] == 0.05


def test_the_attempt_score_prefers_the_more_coherent_story():
    story = Story.model_validate_json(story_json())
    report = AlignmentReport(overall=1.0)
    sound = check_story(story, [], marks=marks_for(story, {}))
    shaky = check_story(story, [], marks=marks_for(story, {0: 0.55, 1: 0.6}))
    assert not sound.violations and not shaky.violations
    assert attempt_score(sound, report) > attempt_score(shaky, report)


def test_the_critic_sends_a_story_with_an_absurd_chain_back_naming_it(scripted):
    absurd = story_json(cors=[
        {"dimension": "event", "clues": ["birthday cake", "lit candles"], "conclusion": ABSURD},
        {"dimension": "location", "clues": ["bus stop sign"], "conclusion": "the scene is at a bus stop"},
        {"dimension": "mental_state", "clues": ["old man smiling"], "conclusion": "the old man is happy"},
    ])
    judge = ScriptedCoherence(lambda chain: 0.05 if chain.conclusion == ABSURD else 0.9)
    model = ScriptedChatModel(replies=[absurd, story_json()])
    context = scripted(model, coherence_judge=judge, max_rounds=2, min_cors=1)  # so only incoherence sends it back
    result = build_graph().invoke({"theme": "a rainy bus stop"}, context=context, config=run_config(context))
    first, second = result["attempts"]
    assert first.decision.action == "revise_story"
    assert any(reason.startswith("incoherent_chain:") and ABSURD in reason for reason in first.decision.reasons)
    revision_prompt = " ".join(str(message.content) for message in model.prompts[1])
    assert f"birthday cake + lit candles -> {ABSURD}" in revision_prompt
    assert second.score > first.score and result["result"].best_attempt == 2
    with open(f"{first.directory}/critique.json", encoding="utf-8") as file:
        critique = json.load(file)
    assert [mark["coherence"] for mark in critique["check"]["chains"]] == [0.05, 0.9, 0.9]


def test_the_command_scores_lines_a_story_file_and_a_run_directory(scripted, tmp_path, capsys):
    from storypainter.cli import main

    judge = ScriptedCoherence(lambda chain: 0.05 if chain.conclusion == ABSURD else 0.9)
    scripted(ScriptedChatModel(replies=[story_json()]), coherence_judge=judge)
    lines = tmp_path / "chains.jsonl"
    good = {"dimension": "event", "clues": ["birthday cake"], "conclusion": ABSURD, "context": "a party", "id": 7}
    lines.write_text(json.dumps(good) + "\n[1, 2]\n" + json.dumps({"dimension": "weather", "clues": ["x"],
                                                                  "conclusion": "y"}) + "\n", encoding="utf-8")
    assert main(["coherence", str(lines), "--scorer", "scripted"]) == 2
    out, err = capsys.readouterr()
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["id"] == 7 and row["coherence"] == 0.05 and row["coherent"] is False
    assert "chains.jsonl:2: not a JSON object" in err and "chains.jsonl:3: dimension" in err
    story = tmp_path / "story.json"
    story.write_text(story_json(), encoding="utf-8")
    assert main(["coherence", str(story), "--scorer", "scripted"]) == 0
    marked = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(marked) == len(Story.model_validate_json(story_json()).cors)
    assert all(row["coherence"] == 0.9 for row in marked)
    run = tmp_path / "run" / "attempts" / "02"
    run.mkdir(parents=True)
    (run / "story.json").write_text(story_json(), encoding="utf-8")
    assert main(["coherence", str(tmp_path / "run"), "--scorer", "scripted"]) == 0
    assert {json.loads(line)["attempt"] for line in capsys.readouterr().out.splitlines()} == {2}


def test_the_llm_judge_marks_chains_from_its_prompt_and_is_metered(scripted):
    from storypainter.providers import registry

    story = Story.model_validate_json(story_json())
    verdicts = {"chains": [{"index": index, "coherence": 0.2 if index == 1 else 0.8, "reason": f"why {index}"}
                           for index in range(len(story.cors))]}
    judge_model = ScriptedChatModel(replies=[json.dumps(verdicts)])
    context = scripted(ScriptedChatModel(replies=[story_json()]), coherence="llm:judge:strong", min_cors=1,
                       max_rounds=1)
    registry.register_llm("judge", lambda name, options, context: judge_model)
    result = build_graph().invoke({"theme": "a rainy bus stop"}, context=context, config=run_config(context))
    marks = result["attempts"][0].check.chains
    assert [mark.coherence for mark in marks] == [0.8, 0.2, 0.8, 0.8] and marks[1].reason == "why 1"
    assert result["attempts"][0].check.coherence_judge == "llm:judge:strong"
    [asked] = judge_model.prompts
    assert "You judge chains of reasoning" in str(asked[0].content)
    assert f"1. [Character Relationship] {story.cors[1]}" in str(asked[1].content)
    assert story.description in str(asked[1].content)
    with open(f"{result['result'].run_dir}/manifest.json", encoding="utf-8") as file:
        ledger = json.load(file)["ledger"]
    assert ledger["tokens"]["critic"]["judge:strong"]["calls"] == 1
