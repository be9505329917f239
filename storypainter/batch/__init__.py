"""Batch jobs: many stories, resumable after a kill, on this machine or on a Ray cluster.

A batch directory holds ``batch.json`` (the fixed item list: index, theme, seed; the
settings; the ledger's totals), one run directory per item under ``items/NNNN`` and
``summary.json`` (each item's outcome and ledger). An item is done when its
``result.json`` exists; a rerun skips done items, continues started ones from their
checkpoints and starts the rest, so nothing is lost and nothing is done twice, whichever
engine ran it before.

- ``items``: the item list, running one item, outcomes, the summary table;
- ``local``: the local engine (threads, or forked worker processes);
- ``ray_engine``: the Ray engine (actors that keep their models loaded), imported only when used;
- ``budget``: caps in dollars or tokens that stop scheduling new items;
- ``job``: ``run_batch``, which holds the batch lock and schedules items on an engine.
"""

from storypainter.batch.budget import Budget
from storypainter.batch.items import ItemOutcome, plan_items, read_themes, run_item, summary_table
from storypainter.batch.job import ENGINES, run_batch
from storypainter.batch.local import MAX_CONCURRENCY, choose_workers

MAX_ITEMS = 100_000

__all__ = [
    "ENGINES",
    "MAX_CONCURRENCY",
    "MAX_ITEMS",
    "Budget",
    "ItemOutcome",
    "choose_workers",
    "plan_items",
    "read_themes",
    "run_batch",
    "run_item",
    "summary_table",
]
