"""``storypainter ui`` refuses bad input and a missing server package in one line, before serving anything."""

from __future__ import annotations

import socket
import sys

import pytest

from storypainter.cli import main


@pytest.mark.parametrize(("argv", "expected"), [
    (["--port", "70000"], "--port must be 0..65535, got 70000"),
    (["--port", "-1"], "--port must be 0..65535, got -1"),
    (["--out", "FILE"], "is not a directory"),
])
def test_bad_input_exits_2_with_one_line(argv, expected, tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    code = main(["ui", *[str(tmp_path / "a-file") if arg == "FILE" else arg for arg in argv]])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and expected in err, err


def test_a_port_in_use_exits_2_naming_it(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["ui", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2 and err == f"storypainter: error: --port {port}: 127.0.0.1:{port} is in use; pick another port " \
                                "(0: any free one)\n"


def test_without_the_server_package_it_names_the_extra(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "langgraph_api.cli", None)  # as if langgraph-cli[inmem] were not installed
    code = main(["ui", "--port", "0", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "needs the studio extra (pip install 'storypainter[studio]')" in err, err
