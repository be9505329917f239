#!/usr/bin/env bash
# Mini-Storyteller v2 SFT on the whole teacher corpus (less a fixed 10% evaluation split), resumable:
# run it again after a stop and it continues from training/student-v2/checkpoints/.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" HF_HUB_OFFLINE=1
[ -s training/student-v2/data/sft.jsonl ] || \
  .venv/bin/storypainter distill export --teacher-corpus --out training/student-v2/data --eval-split 0.1 --seed 0
exec .venv/bin/storypainter distill train --data training/student-v2/data --out training/student-v2 \
  --epochs 3 --lora-r 16 --learning-rate 5e-4 --grad-accum 4 --save-steps 10 --eval-steps 30 --eval-limit 24 \
  --no-progress "$@"
