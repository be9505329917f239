"""Theme fidelity: the planner never adds a time that contradicts the theme, and a story that leaves its
theme goes back to the storyteller with the reason."""

from __future__ import annotations

import random

from storypainter.agent.context import Context
from storypainter.agent.graph import build_graph, run_config
from storypainter.evaluation.theme import theme_problems
from storypainter.nodes.planner import choose_setting, make_plan
from storypainter.schema import Story
from tests.fakes import ScriptedChatModel, story_json

BAKERY = "a flooded bakery at dawn"
PLAYGROUND = story_json(location="a school playground on a floodfront", time="the first day of school in April",
                        description="A midday sun shines over a flooded school playground where a boy floats a "
                        "paper boat past a girl holding a trophy, next to a LAST BUS 23:10 sign.")


def test_the_planner_keeps_a_theme_that_names_its_own_time():
    for seed in range(30):
        assert make_plan(BAKERY, Context(seed=seed), []).setting == BAKERY
    assert choose_setting("a snowed-in ski lift", random.Random(0), []) == "a snowed-in ski lift"


def test_the_planner_adds_a_moment_to_a_theme_without_one():
    assert choose_setting("a rainy bus stop", random.Random(0), []).startswith("a rainy bus stop, at ")


def test_a_story_that_drops_the_place_and_changes_the_time_leaves_its_theme():
    problems = theme_problems(BAKERY, Story.model_validate_json(PLAYGROUND))
    assert problems == ["the theme's place is lost: the story never shows 'bakery'",
                        "the theme's time is dawn but the story shows noon"]


def test_a_story_that_keeps_place_and_time_keeps_its_theme():
    kept = story_json(location="a flooded bakery", time="dawn",
                      description="At dawn a baker wades through his flooded bakery holding loaves above the water.")
    assert theme_problems(BAKERY, Story.model_validate_json(kept)) == []
    assert theme_problems("a rainy bus stop", Story.model_validate_json(story_json())) == []


def test_an_off_theme_story_goes_back_to_the_storyteller_with_the_reason(scripted):
    model = ScriptedChatModel(replies=[PLAYGROUND, story_json()])
    context = scripted(model, max_rounds=2, min_cors=1, theme_check=True)
    result = build_graph().invoke({"theme": "a rainy bus stop at night"}, context=context, config=run_config(context))
    first = result["attempts"][0]
    assert first.decision.action == "revise_story"
    [reason] = [reason for reason in first.decision.reasons if reason.startswith("off_theme:")]
    assert "the theme's time is night but the story shows noon" in reason
    revision_prompt = " ".join(str(message.content) for message in model.prompts[1])
    assert "the story leaves its theme 'a rainy bus stop at night'" in revision_prompt
    assert result["attempts"][1].decision.action == "accept"
