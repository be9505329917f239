"""Check teacher corpus files against the corpus' quality bar: `python benchmarks/check_teacher_corpus.py FILE...`."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from storypainter.memory.teacher import check_record, load_heldout, read_records

HELDOUT = Path(__file__).resolve().parent / "data" / "heldout_themes.txt"


def main(paths: list[str]) -> int:
    heldout = load_heldout(HELDOUT)
    records = [(path, record) for path in paths for record in read_records(Path(path))]
    ids = Counter(record.get("id") for _, record in records)
    titles = Counter(record.get("story", {}).get("title", "").lower() for _, record in records)
    bad = 0
    for path, record in records:
        problems = check_record(record, heldout)
        if ids[record.get("id")] > 1:
            problems.append("duplicate id")
        if titles[record.get("story", {}).get("title", "").lower()] > 1:
            problems.append("duplicate title")
        if problems:
            bad += 1
            print(f"{path}:{record.get('id')}: " + " | ".join(problems))
    print(f"{len(records) - bad} of {len(records)} records pass")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
