#!/usr/bin/env bash
# The shipped coherence judge, rebuilt reproducibly and resumably (rerun after a stop to continue):
# 1. the base model (SmolLM2-135M, the CoR prompt, 2 examples) writes one story for each of 40
#    training-split teacher themes (base_themes.txt; none is a held-out theme), single pass;
# 2. `coherence train` adds their chains to the corpus negatives and trains the judge into the package.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
.venv/bin/storypainter bench --modes cor -n 40 --themes training/coherence/base_themes.txt \
  --config benchmarks/data/base-smollm2.yaml --reference none --out training/coherence/base
exec .venv/bin/storypainter coherence train --work training/coherence/work --base-chains training/coherence/base/cor \
  --epochs 3 --trained-layers 4 --no-progress "$@"
