#!/usr/bin/env bash
# The shipped coherence judge, rebuilt reproducibly and resumably (rerun after a stop to continue):
# 1. the base model's chains: base_chains.jsonl (committed: 164 chains the base model, SmolLM2-135M with the CoR
#    prompt and 2 examples, wrote in one story for each of the 40 training-split teacher themes of base_themes.txt,
#    single pass; none is a held-out theme); without that file the base model writes them anew into base/;
# 2. `coherence train` adds them to the corpus negatives, each at a fifth of a corpus pair's loss weight (a base
#    chain is disfluent and sometimes sound), weighs the pairs of the human-written seed-corpus scenes three times
#    (a tenth of the pairs, the only ones in human annotators' style), and trains the judge into the package.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
BASE=training/coherence/base_chains.jsonl
if [ ! -f "$BASE" ]; then
  .venv/bin/storypainter bench --modes cor -n 40 --themes training/coherence/base_themes.txt \
    --config benchmarks/data/base-smollm2.yaml --reference none --out training/coherence/base
  BASE=training/coherence/base/cor
fi
exec .venv/bin/storypainter coherence train --work training/coherence/work --base-chains "$BASE" \
  --base-weight 0.2 --seed-weight 3 --epochs 3 --trained-layers 4 --no-progress "$@"
