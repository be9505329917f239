"""The no-skip guard (tests/conftest.py): with STORYPAINTER_NO_SKIPS=1 a skipped or xfail-marked test fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BODIES = {
    "passes": "def test_it():\n    assert True\n",
    "skips": "import pytest\n\ndef test_it():\n    pytest.skip('no extra')\n",
    "xfails": "import pytest\n\n@pytest.mark.xfail(reason='known')\ndef test_it():\n    assert False\n",
    "xpasses": "import pytest\n\n@pytest.mark.xfail(reason='known')\ndef test_it():\n    assert True\n",
}


@pytest.mark.parametrize(("body", "code"), [("passes", 0), ("skips", 1), ("xfails", 1), ("xpasses", 1)])
def test_the_guard_fails_a_run_with_a_skipped_or_xfail_test(tmp_path, body, code):
    (tmp_path / "test_probe.py").write_text(BODIES[body])
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_probe.py")],
                          cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "STORYPAINTER_NO_SKIPS": "1", "PYTHONPATH": str(REPO)})
    assert done.returncode == code, done.stdout[-2000:]
    assert ("STORYPAINTER_NO_SKIPS" in done.stdout) == (code == 1)
