"""Run directories as typed rows, and a set's diversity.

``load_runs`` reads run directories (or parents holding them) into ``RunRow`` values: the
best attempt's story and image, its alignment report and rule check (from
``critique.json``, so the copy check used the examples the storyteller saw), the visible
texts an OCR judge read when ``critique.json`` holds them, and a fresh ``semantic_score``
that counts only coherent chains: the marks come from ``mark_chains`` (the coherence judge,
given by the command) or else from ``critique.json``'s own marks, when it holds them.
A run that cannot be read becomes a one-line problem and is skipped. ``evaluate`` adds
the set's diversity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from storypainter.evaluation.diversity import DiversityResult, diversity_scores
from storypainter.evaluation.semantic import SemanticScore, coherent_share, semantic_score
from storypainter.runs import RunFileProblem, attempt_dir, read_run_object
from storypainter.schema import AlignmentReport, ChainMark, Frozen, Story, StoryCheck
from storypainter.text import words

RUN_MARKERS = ("request.json", "manifest.json", "result.json")
ChainMarker = Callable[[Story], list[ChainMark]]
MAX_DEPTH = 3


class TextReading(Frozen):
    """One visible text the story asked for and what an OCR judge read in the picture."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str
    status: str
    read: str | None = None


READINGS = TypeAdapter(list[TextReading])


class RunRow(Frozen):
    """One run's best attempt with its scores."""

    run_dir: str
    system: str = Field(description="naive, cor or cor+critic (from the run's settings)")
    theme: str
    seed: int
    best_attempt: int
    attempts: int
    story: Story
    image_path: str | None
    report: AlignmentReport
    check: StoryCheck
    semantic: SemanticScore
    words: int
    seconds: float
    visible_text: list[TextReading] = Field(default_factory=list, description="expected vs read, when OCR ran")
    chains: list[ChainMark] = Field(default_factory=list, description="coherence per chain, when judged")

    @property
    def alignment(self) -> float | None:
        return self.report.overall

    @property
    def coherent_share(self) -> float | None:
        """The share of the story's chains that follow from their clues (None when not judged)."""
        return coherent_share(self.chains)


class Evaluation(Frozen):
    """A set of runs, its diversity (per-item values align with ``rows``) and skipped runs."""

    rows: list[RunRow]
    diversity: DiversityResult
    embedder: str
    problems: list[str] = Field(default_factory=list)


def _validated(validator: Any, value: Any, where: str) -> Any:
    try:
        return validator(value)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise RunFileProblem(f"malformed {where}: {field}: {first['msg']}") from None


def system_label(context: dict[str, Any]) -> str:
    """'naive', 'cor' or 'cor+critic' from a run's settings."""
    mode = context.get("mode", "cor")
    return f"{mode}+critic" if context.get("critic_loop") else mode


def _result(run_dir: Path) -> dict[str, Any]:
    if (run_dir / "result.json").is_file():
        result = read_run_object(run_dir / "result.json")
        if not isinstance(result.get("best_attempt"), int):
            raise RunFileProblem("malformed result.json: best_attempt is missing")
        return result
    manifest = read_run_object(run_dir / "manifest.json") if (run_dir / "manifest.json").is_file() else {}
    error = f": {manifest['error']}" if manifest.get("error") else ""
    raise RunFileProblem(f"no result.json (status {manifest.get('status', 'unknown')}{error})")


def chain_marks(story: Story, check: StoryCheck, mark_chains: ChainMarker | None) -> list[ChainMark] | None:
    """Fresh marks from the judge, else the critic's own (when they cover every chain), else None."""
    if mark_chains is not None:
        return mark_chains(story)
    return check.chains if check.chains and len(check.chains) == len(story.cors) else None


def load_run(run_dir: str | Path, mark_chains: ChainMarker | None = None) -> RunRow:
    """The best attempt of one run directory; raises RunFileProblem with a one-line reason."""
    run_dir = Path(run_dir)
    result = _result(run_dir)
    request = read_run_object(run_dir / "request.json")
    context = request.get("context", {})
    folder = attempt_dir(run_dir, result["best_attempt"])
    critique_name = f"{folder.name}/critique.json"
    story = _validated(Story.model_validate, read_run_object(folder / "story.json"), f"{folder.name}/story.json")
    critique = read_run_object(folder / "critique.json")
    report = _validated(AlignmentReport.model_validate, critique.get("report", {}), f"{critique_name} report")
    check = _validated(StoryCheck.model_validate, critique.get("check", {}), f"{critique_name} check")
    readings = _validated(READINGS.validate_python, critique.get("visible_text") or [], f"{critique_name} visible_text")
    manifest = read_run_object(run_dir / "manifest.json")
    image = folder / "image.png"
    marks = chain_marks(story, check, mark_chains)
    return RunRow(
        run_dir=str(run_dir),
        system=system_label(context),
        theme=str(request.get("theme", "")),
        seed=int(context.get("seed", 0)),
        best_attempt=result["best_attempt"],
        attempts=len(list((run_dir / "attempts").glob("[0-9]*"))),
        story=story,
        image_path=str(image) if image.is_file() else None,
        report=report,
        check=check,
        semantic=semantic_score(story, marks),
        words=len(words(story.description)),
        seconds=float(sum(manifest.get("node_seconds", {}).values())),
        visible_text=readings,
        chains=marks or [],
    )


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def is_run_dir(path: Path) -> bool:
    return any((path / marker).is_file() for marker in RUN_MARKERS) or (path / "attempts").is_dir()


def find_run_dirs(path: Path, depth: int = MAX_DEPTH) -> list[Path]:
    """``path`` itself when it is a run directory, else the run directories below it."""
    if is_run_dir(path):
        return [path]
    if depth == 0:
        return []
    children = sorted(child for child in path.iterdir() if child.is_dir() and not child.name.startswith("."))
    return [run for child in children for run in find_run_dirs(child, depth - 1)]


def load_runs(paths: Iterable[str | Path], mark_chains: ChainMarker | None = None) -> tuple[list[RunRow], list[str]]:
    """Rows of every readable run under ``paths`` and one line per run that was skipped."""
    rows, problems = [], []
    for path in map(Path, paths):
        if not path.is_dir():
            problems.append(f"{path}: not a directory")
            continue
        try:
            run_dirs = find_run_dirs(path)
        except OSError as error:
            problems.append(f"{path}: cannot list: {error.strerror}")
            continue
        if not run_dirs:
            problems.append(f"{path}: no run directories found")
        for run_dir in run_dirs:
            try:
                rows.append(load_run(run_dir, mark_chains))
            except (RunFileProblem, OSError) as error:
                problems.append(f"{run_dir}: {error}")
            except (TypeError, ValueError, AttributeError) as error:
                problems.append(f"{run_dir}: malformed run files ({type(error).__name__}: {_one_line(error)})")
    return rows, problems


def embed_texts(texts: list[str], embedder: str):
    """Vectors of ``texts`` from the named embedder (imported here: it may load a model)."""
    from storypainter.providers.embeddings import get_embedder

    return get_embedder(embedder).encode(texts)


def set_diversity(rows: list[RunRow], embedder: str = "minilm", k: int = 5) -> DiversityResult:
    """The paper's diversity over embeddings of the stories' descriptions."""
    if not rows:
        return DiversityResult(per_item=[], mean=0.0, k=0)
    return diversity_scores(embed_texts([row.story.description for row in rows], embedder), k=k)


def evaluate(rows: list[RunRow], problems: list[str], embedder: str = "minilm", k: int = 5) -> Evaluation:
    return Evaluation(rows=rows, diversity=set_diversity(rows, embedder, k), embedder=embedder, problems=problems)
