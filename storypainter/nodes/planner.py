"""Planner: opens the run directory (unless the runner did) and decides what the storyteller is asked for.

Naive mode passes the theme through. CoR mode picks a varied subset of the seven
reasoning dimensions (forcing all seven makes stories monotonous) and a setting that
keeps the user's theme while steering away from recently used times and places.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from pathlib import Path

from langgraph.runtime import Runtime

from storypainter.agent.context import Context
from storypainter.agent.state import State
from storypainter.config import check_theme
from storypainter.errors import ConfigError
from storypainter.evaluation.theme import names_a_time
from storypainter.memory.self_memory import recent_settings
from storypainter.runs import create_run, inside, read_json, write_json
from storypainter.schema import DIMENSIONS, Plan

PLACES = (
    "a night market",
    "a hospital corridor",
    "a school playground",
    "a laundromat",
    "a mountain hut",
    "a fishing harbour",
    "a train platform",
    "a village wedding tent",
    "a city library",
    "a rooftop garden",
    "a roadside repair shop",
    "a museum hall",
    "an airport gate",
    "a farmhouse kitchen",
    "a beach boardwalk",
    "a football stadium",
    "a bakery",
    "a temple courtyard",
    "a snowy bus stop",
    "a flooded street",
)
MOMENTS = (
    "early morning",
    "a hot noon",
    "late afternoon",
    "dusk",
    "a stormy night",
    "the first snow",
    "a birthday",
    "exam day",
    "the first day of school",
    "Lunar New Year",
    "Diwali night",
    "Eid morning",
    "Halloween evening",
    "a monsoon downpour",
    "harvest day",
    "a power cut",
    "closing time",
    "a heatwave",
)
MIN_DIMENSIONS, MAX_DIMENSIONS = 3, 6


def choose_dimensions(rng: random.Random) -> list[str]:
    """Always an event; then a varied subset of the other dimensions, in canonical order."""
    others = [dimension for dimension in DIMENSIONS if dimension != "event"]
    picked = set(rng.sample(others, rng.randint(MIN_DIMENSIONS - 1, MAX_DIMENSIONS - 1))) | {"event"}
    return [dimension for dimension in DIMENSIONS if dimension in picked]


def choose_setting(theme: str, rng: random.Random, recent: list[str]) -> str:
    """A place and moment consistent with the theme, avoiding recently used ones: a theme that names its own
    time (a part of the day or a season: ``evaluation.theme``) is kept as it is, never given another."""
    used = " ".join(recent).lower()
    moments = [moment for moment in MOMENTS if moment.lower() not in used] or list(MOMENTS)
    moment = rng.choice(moments)
    if theme and names_a_time(theme):
        return theme
    if theme:
        return f"{theme}, at {moment}"
    places = [place for place in PLACES if place.lower() not in used] or list(PLACES)
    return f"{rng.choice(places)}, at {moment}"


def make_plan(theme: str, context: Context, recent: list[str]) -> Plan:
    if context.mode == "naive":
        return Plan(theme=theme, mode="naive", seed=context.seed)
    rng = random.Random(f"{context.seed}|{theme}")
    return Plan(
        theme=theme,
        mode="cor",
        dimensions=choose_dimensions(rng),
        setting=choose_setting(theme, rng, recent),
        avoid=recent[:5],
        seed=context.seed,
    )


def open_run_dir(state: State, context: Context, theme: str) -> str:
    """The run directory the runner opened (it must lie inside ``out_dir``), or a new one."""
    given = state.get("run_dir")
    if not given:
        return str(create_run(context.out_dir, theme, asdict(context)))
    if not inside(given, context.out_dir) or not Path(given, "request.json").is_file():
        raise ConfigError(f"run_dir must be a run directory opened inside out_dir ({context.out_dir}): {given}")
    return given


def planner(state: State, runtime: Runtime[Context]) -> dict:
    context = runtime.context
    theme = check_theme(state.get("theme", ""))
    run_dir = open_run_dir(state, context, theme)
    recent = recent_settings(context) if context.mode == "cor" else []
    plan = make_plan(theme, context, recent)
    write_json(f"{run_dir}/request.json", read_json(Path(run_dir, "request.json")) | {"plan": plan})
    return {"theme": theme, "run_dir": run_dir, "plan": plan, "attempt": 0}
