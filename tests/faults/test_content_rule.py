"""The content rule (issue #17 defect 11, issue #23 item 7): offensive or hateful language anywhere a story
shows or the painter draws goes back to the storyteller, and never becomes a run's result."""

from __future__ import annotations

import json

import pytest

from storypainter.agent.graph import build_graph, run_config
from storypainter.evaluation.rules import check_story
from storypainter.schema import Story
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json
from tests.faults.conftest import manifest_of, only_run, storypainter, write_config

pytest.importorskip("profanity_check", reason="needs the safety extra")


def flagged_places(**changes) -> list[str]:
    check = check_story(Story.model_validate_json(story_json(**changes)), [])
    return [violation.detail.split(" (")[0] for violation in check.violations if violation.rule == "offensive"]


SIGN = [{"text": "LAST BUS 23:10", "on": "bus stop sign"}]


@pytest.mark.parametrize(("changes", "place"), [
    ({"objects": ["umbrella", "a shitty old bench"]}, "objects"),
    ({"location": "Fuckwit Alley bus stop"}, "setting"),
    ({"visible_text": [{"text": "LAST BUS", "on": "a wall sprayed with the word cunt"}]}, "visible_text.0.on"),
])
def test_objects_location_and_the_surface_of_a_text_are_read(changes, place):
    assert flagged_places(**changes) == [f"offensive language in {place}"]


@pytest.mark.parametrize("sign", ["F*** this bus", "Sh1t Happens", "SH!T HAPPENS", "f.u.c.k off", "B****"])
def test_obfuscated_profanity_on_a_sign_is_flagged(sign):
    assert flagged_places(visible_text=[{"text": sign, "on": "bus stop sign"}]) == [
        "offensive language in visible_text.0"]


@pytest.mark.parametrize("sign", ["Kill all the immigrants", "Death to the refugees", "Muslims are vermin",
                                  "No Jews allowed"])
def test_hateful_text_without_swear_words_is_flagged(sign):
    details = [violation.detail for violation in check_story(Story.model_validate_json(
        story_json(visible_text=[{"text": sign, "on": "bus stop sign"}])), []).violations]
    assert len(details) == 1 and "hateful phrasing" in details[0], details


@pytest.mark.parametrize("sign", ["NO GIRLS ALLOWED", "Kill the lights", "Hang the women's coats here",
                                  "Shoot the rapids", "F-16 Museum", "Route 66", "Sale 50% off"])
def test_harmless_signs_that_look_alike_pass(sign):
    assert flagged_places(visible_text=[{"text": sign, "on": "sign"}]) == []


def test_a_run_whose_every_attempt_is_flagged_fails_in_one_line_without_a_result(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(story={"visible_text": [{"text": "F*** this bus", "on": "bus"}]}),
                          max_rounds=2)
    result = storypainter(["generate", "a bus stop", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 1
    assert "offensive or hateful language" in result.one_line()
    run_dir = only_run(tmp_path / "runs")
    assert not (run_dir / "result.json").exists(), "a flagged attempt is never the result"
    assert manifest_of(run_dir)["status"] == "failed"
    decisions = [json.loads((run_dir / f"attempts/{n:02d}/critique.json").read_text())["decision"]["action"]
                 for n in (1, 2)]
    assert decisions == ["revise_story", "stop"]


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
