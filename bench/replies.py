"""How well the reply reader reads: every row of the reply table's two sets (the tuning set the
rules were written against, and the held-out set only ever scored), each read with the reply
arriving on each of the seven weekdays.

    .venv/bin/python bench/replies.py [--show-tuning-misses]

For each set it prints the precision of what would be booked (a wrong booking is an acceptance
at ``HIGH_CONFIDENCE`` or more of anything but the row's option: there must be none), the recall
of clear acceptances (rows a setter would book without a second look, booked at the right
option), the confusion table of ``kind`` (expected by read) and the milliseconds per reply. The
figures also go to ``bench/results/replies.json``. Misses are listed for the tuning set only, on
request: the held-out set is scored, never read for ideas.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from booking.reading import HIGH_CONFIDENCE, OfferedTime, read_reply
from tests.booking.replies import table

RESULTS = Path(__file__).resolve().parent / "results" / "replies.json"
KINDS = (
    "accept", "counter_proposal", "refuse", "question", "ambiguous", "auto_reply", "no_match",
    "empty",
)  # fmt: skip


def read(case: table.Case):
    offered = [OfferedTime(index=i, start=s) for i, s in enumerate(case.starts, start=1)]
    return read_reply(case.text, offered, lead_timezone=case.zone, received_at=case.received_at)


def score(name: str) -> dict:
    cases = list(table.cases(name))
    started = time.perf_counter()
    readings = [read(c) for c in cases]
    elapsed = time.perf_counter() - started
    confusion: Counter = Counter()
    booked = wrong_count = clear = clear_booked = 0
    wrong, missed = [], []
    for case, reading in zip(cases, readings, strict=True):
        row = case.row
        confusion[(row.kind, reading.kind)] += 1
        books = reading.kind == "accept" and reading.confidence >= HIGH_CONFIDENCE
        right = row.kind == "accept" and reading.slot_index == row.slot
        booked += books
        if books and not right:
            wrong_count += 1
            wrong.append(f"{row.id} {case.day:%a}: {case.text!r} → option {reading.slot_index}")
        if row.kind == "accept" and row.high:
            clear += 1
            clear_booked += books and right
            if not (books and right):
                missed.append(
                    f"{row.id} {case.day:%a}: {case.text!r} → {reading.kind} "
                    f"{reading.confidence:.2f} ({reading.reason})"
                )
    return {
        "set": name,
        "rows": len(table.rows(name)),
        "readings": len(cases),
        "booked": booked,
        "wrong_bookings": wrong_count,
        "precision": round((booked - wrong_count) / booked, 4) if booked else 1.0,
        "clear_acceptances": clear,
        "recall": round(clear_booked / clear, 4) if clear else 1.0,
        "ms_per_reply": round(elapsed * 1000 / len(cases), 2),
        "confusion": {e: {r: confusion[(e, r)] for r in KINDS} for e in KINDS},
        "wrong": wrong,
        "_missed": missed,
    }


def report(result: dict, *, show_misses: bool) -> None:
    print(f"\n== {result['set']}: {result['rows']} replies × 7 weekdays = {result['readings']}")
    print(
        f"precision {result['precision']:.4f} ({result['booked']} booked, "
        f"{result['wrong_bookings']} wrong)   recall of clear acceptances {result['recall']:.4f} "
        f"(of {result['clear_acceptances']})   {result['ms_per_reply']} ms per reply"
    )
    short = {k: k[:8] for k in KINDS}
    print("expected \\ read  " + " ".join(f"{short[k]:>8}" for k in KINDS))
    for expected in KINDS:
        counts = result["confusion"][expected]
        if sum(counts.values()):
            print(f"{expected:<16} " + " ".join(f"{counts[k]:>8}" for k in KINDS))
    for line in result["wrong"]:
        print("WRONG", line)
    if show_misses:
        for line in result["_missed"]:
            print("missed", line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show-tuning-misses", action="store_true")
    args = parser.parse_args()
    read(next(table.cases("tuning")))  # dateparser loads its language data once
    results = [score(name) for name in table.SETS]
    for result in results:
        report(result, show_misses=args.show_tuning_misses and result["set"] == "tuning")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in results]
    RESULTS.write_text(json.dumps({"sets": public}, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {RESULTS}")
    return 1 if any(r["wrong_bookings"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
