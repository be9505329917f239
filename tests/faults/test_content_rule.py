"""Issue #17, defect 11: a story with offensive language goes back to the storyteller."""

from __future__ import annotations

import pytest

from storypainter.agent.graph import build_graph, run_config
from storypainter.evaluation.rules import check_story
from storypainter.schema import Story
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json

pytest.importorskip("profanity_check", reason="needs the safety extra")


def test_the_classifier_flags_the_title_the_embedded_model_once_wrote():
    flagged = check_story(Story.model_validate_json(story_json(title="Under a Fucked Up Bed")), [])
    assert [violation.rule for violation in flagged.violations] == ["offensive"]
    assert "title" in flagged.violations[0].detail
    assert check_story(Story.model_validate_json(story_json(title="Damn the Rain")), []).passed, "mild words pass"


def test_harmless_corpus_stories_are_rarely_flagged():
    from storypainter.memory.corpus import load_seed_corpus, story_from_example
    from storypainter.memory.teacher import TEACHER_DIR, read_records

    stories = [Story.model_validate(record["story"]) for path in sorted(TEACHER_DIR.glob("*.jsonl"))
               for record in read_records(path)]
    stories += [story_from_example(example) for example in load_seed_corpus().examples]
    flagged = [story for story in stories if check_story(story, [], min_cors=0).violations]
    assert len(flagged) <= 0.005 * len(stories), [story.title for story in flagged]


def test_the_critic_sends_an_offensive_story_back_and_keeps_the_clean_one(scripted):
    model = ScriptedChatModel(replies=[story_json(title="Under a Fucked Up Bed"), story_json()])
    context = scripted(model, ScriptedJudge([lambda point: "yes"]))
    output = build_graph().invoke({"theme": "a rainy bus stop"}, context=context, config=run_config(context))
    attempts = output["attempts"]
    assert attempts[0].decision.action == "revise_story"
    assert "offensive language in title" in attempts[0].decision.feedback
    assert output["result"].best_attempt == 2 and output["story"].title == "Last Bus in the Rain"
    assert "offensive" in model.prompts[1][-1].content, "the feedback reached the storyteller"
