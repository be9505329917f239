"""The shipped learned coherence judge (real MiniLM, real weights): it tells a sound chain from an absurd one,
the critic sends an absurd chain back by name, and the command scores a file around a malformed line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from storypainter.agent.graph import build_graph, run_config
from storypainter.providers.judges.coherence import LearnedCoherence
from storypainter.schema import ChainOfReasoning
from tests import extras
from tests.fakes import ScriptedChatModel, story_json

pytestmark = [pytest.mark.slow, extras.coherence]

CAKE = ["birthday cake with lit candles", "children in paper party hats"]
ELECTION = "the election results are being announced"
PARTY = "Children in paper party hats crowd around a birthday cake with lit candles in a small kitchen."
SOUND = [
    ChainOfReasoning(dimension="event", clues=CAKE, conclusion="a child's birthday party is under way"),
    ChainOfReasoning(dimension="location", clues=["rows of desks", "chalkboard with sums"],
                     conclusion="the scene is a school classroom"),
    ChainOfReasoning(dimension="mental_state", clues=["boy hiding his face", "broken vase at his feet"],
                     conclusion="the boy is afraid of being blamed for the vase"),
]
ABSURD = [
    ChainOfReasoning(dimension="event", clues=CAKE, conclusion="the stock market has crashed"),
    ChainOfReasoning(dimension="location", clues=["rows of desks", "chalkboard with sums"],
                     conclusion="the scene is a fishing harbour at dawn"),
    ChainOfReasoning(dimension="mental_state", clues=["woman holding her lipstick"],
                     conclusion="the girl is anxious about his teeth"),
]


@pytest.fixture(scope="module")
def judge():
    return LearnedCoherence()


def test_sound_chains_score_high_and_absurd_ones_low(judge):
    sound = [mark.coherence for mark in judge.score(SOUND)]
    absurd = [mark.coherence for mark in judge.score(ABSURD)]
    assert min(sound) >= 0.5, sound
    assert max(absurd) < 0.5, absurd
    assert all(mark.coherent for mark in judge.score(SOUND)) and not any(mark.coherent for mark in judge.score(ABSURD))


def test_with_its_description_a_conclusion_from_another_picture_scores_low(judge):
    election = ChainOfReasoning(dimension="event", clues=CAKE, conclusion=ELECTION)
    [party] = judge.score([SOUND[0]], PARTY)
    [moved] = judge.score([election], PARTY)
    assert party.coherence >= 0.5 > moved.coherence, (party, moved)


def test_a_story_with_an_absurd_chain_goes_back_naming_it(scripted, judge):
    absurd = story_json(cors=[
        {"dimension": "event", "clues": CAKE, "conclusion": ELECTION},
        {"dimension": "time", "clues": ["LAST BUS 23:10 sign", "dark sky"], "conclusion": "it is late at night"},
        {"dimension": "character_relationship", "clues": ["old man", "umbrella over the girl"],
         "conclusion": "the old man is the girl's grandfather"},
    ])
    model = ScriptedChatModel(replies=[absurd, story_json()])
    context = scripted(model, coherence="learned", max_rounds=2, min_cors=1)
    result = build_graph().invoke({"theme": "a rainy bus stop"}, context=context, config=run_config(context))
    first = result["attempts"][0]
    assert first.decision.action == "revise_story"
    assert any(r.startswith("incoherent_chain:") and ELECTION in r for r in first.decision.reasons)
    assert f"{' + '.join(CAKE)} -> {ELECTION}" in " ".join(str(m.content) for m in model.prompts[1])
    [election] = [mark for mark in first.check.chains if mark.chain.endswith(ELECTION)]
    assert not election.coherent and first.check.coherence_judge == "learned"


def test_the_command_scores_every_good_line_and_names_the_malformed_one(tmp_path):
    election = ChainOfReasoning(dimension="event", clues=CAKE, conclusion=ELECTION)
    lines = [json.dumps({"dimension": chain.dimension, "clues": chain.clues, "conclusion": chain.conclusion,
                         "context": PARTY, "id": i})
             for i, chain in enumerate([SOUND[0], election])]
    source = tmp_path / "chains.jsonl"
    source.write_text(f"{lines[0]}\n{{not json\n{lines[1]}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "storypainter.cli", "coherence", str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "chains.jsonl:2:" in done.stderr
    scored = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["id"] for row in scored] == [0, 1]
    assert scored[0]["coherence"] >= 0.5 > scored[1]["coherence"]
    assert scored[1]["conclusion"] == ELECTION and scored[1]["coherent"] is False
