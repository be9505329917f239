"""A wheel carries everything a run needs (configs, prompts, corpora, the student adapter, report
templates) and, installed outside the repository, generates a story on the same defaults (issue #12)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
SHIPPED = (
    "storypainter/configs/default.yaml",
    "storypainter/configs/openai.yaml",
    "storypainter/prompts/storyteller_compact.md",
    "storypainter/memory/data/seed_corpus.json",
    "storypainter/memory/data/teacher/part-01.jsonl",
    "storypainter/providers/llms/students/mini-storyteller.gguf",
    "storypainter/ui/templates/index.html",  # the web page and its assets (no CDN)
    "storypainter/ui/static/ui.js",
    "storypainter/ui/static/ui.css",
    "storypainter/ui/static/icon.svg",
)


def test_an_installed_wheel_runs_on_the_same_defaults(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(REPO)], check=True, capture_output=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("storypainter-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert set(SHIPPED) <= names, set(SHIPPED) - names
        assert any(name.startswith("storypainter/evaluation/templates/") for name in names)
        archive.extractall(tmp_path / "site")
    probe = (
        "import json, storypainter.config as c, storypainter.agent.context as x; "
        "print(json.dumps({'file': c.__file__, 'same': c.load_context(None) == x.Context() == "
        "c.load_context('default'), 'openai': c.load_context('openai', llm='local:smollm2').examples_k}))"
    )
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); "
                           + probe], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(done.stdout)
    assert report["file"].startswith(str(tmp_path / "site")), "the wheel's copy was imported, not the checkout"
    assert report["same"] is True and report["openai"] == 3
    generate = ("from storypainter.cli import main; "
                "sys.exit(main(['generate', 'a rainy bus stop', '--out', 'runs', '--max-rounds', '1', '--quiet']))")
    run = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); "
                          + generate], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    [run_dir] = (tmp_path / "runs").iterdir()
    result = json.loads((run_dir / "result.json").read_text())
    assert Path(result["image_path"]).is_file() and Path(result["story_path"]).is_file()
    providers = json.loads((run_dir / "manifest.json").read_text())["providers"]
    defaults = subprocess.run([sys.executable, "-c", "import json; from storypainter.agent.context import Context; "
                               "c = Context(); print(json.dumps([c.llm, c.painter, c.judge, c.embeddings]))"],
                              cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    assert [providers[key] for key in ("llm", "painter", "judge", "embeddings")] == json.loads(defaults.stdout), \
        "the wheel's run used the checkout's defaults"
