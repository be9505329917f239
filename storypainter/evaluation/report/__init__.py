"""Offline evaluation of run directories and of a human reference, in three parts:

- ``loading``: run directories as typed rows (``load_runs``) and a set's diversity (``evaluate``);
- ``reference``: a CogBench-format corpus (the seed corpus by default) scored as the human reference;
- ``statistics``: means and 95% intervals (``summarize``, ``summarize_reference``);
- ``writers``: terminal table, CSV, JSON, bench.md/bench.csv and HTML from jinja2 templates.

The names below are the public surface; jinja2 and the embedders are imported only when used.
"""

from storypainter.evaluation.report.loading import (
    Evaluation,
    RunRow,
    TextReading,
    evaluate,
    find_run_dirs,
    load_run,
    load_runs,
    set_diversity,
    system_label,
)
from storypainter.evaluation.report.reference import Reference, load_reference
from storypainter.evaluation.report.statistics import (
    Interval,
    bootstrap_interval,
    format_interval,
    mean_interval,
    summarize,
    summarize_reference,
    t_quantile,
    wilson_interval,
)
from storypainter.evaluation.report.writers import (
    bench_csv,
    bench_html,
    bench_markdown,
    bench_tables,
    reference_payload,
    to_csv,
    to_html,
    to_json,
    to_table,
)

__all__ = [
    "Evaluation",
    "Interval",
    "Reference",
    "RunRow",
    "TextReading",
    "bench_csv",
    "bench_html",
    "bench_markdown",
    "bench_tables",
    "bootstrap_interval",
    "evaluate",
    "find_run_dirs",
    "format_interval",
    "load_reference",
    "load_run",
    "load_runs",
    "mean_interval",
    "reference_payload",
    "set_diversity",
    "summarize",
    "summarize_reference",
    "system_label",
    "t_quantile",
    "to_csv",
    "to_html",
    "to_json",
    "to_table",
    "wilson_interval",
]
