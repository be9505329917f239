"""Write a training run's loss curve (train and evaluation loss per step) from a checkpoint's trainer state.

    python training/loss_curve.py training/student-v2/checkpoints/checkpoint-30 training/student-v2/loss_curve.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def curve(checkpoint: Path) -> dict:
    state = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))
    history = state["log_history"]
    return {
        "checkpoint": checkpoint.as_posix(),
        "global_step": state["global_step"],
        "max_steps": state["max_steps"],
        "curve": [{"step": row["step"], "loss": float(row["loss"]), "epoch": row["epoch"]}
                  for row in history if "loss" in row],
        "eval": [{"step": row["step"], "eval_loss": row["eval_loss"], "epoch": row["epoch"]}
                 for row in history if "eval_loss" in row],
    }


if __name__ == "__main__":
    checkpoint, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.write_text(json.dumps(curve(checkpoint), indent=1) + "\n", encoding="utf-8")
