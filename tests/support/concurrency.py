"""Real concurrency for the tests of races: each callable in its own thread, with its own
database connection, all released at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connection

JOIN_TIMEOUT = 60.0  # seconds; a deadlock must fail the test, not hang the suite


def run_at_once(targets: Sequence[Callable[[], object]]) -> list[object]:
    """Run every target at once; returns their results in order, or fails with every error
    raised. Needs ``django_db(transaction=True)``: each thread commits on its own."""
    barrier = threading.Barrier(len(targets), timeout=JOIN_TIMEOUT)
    results: list[object] = [None] * len(targets)
    errors: list[BaseException] = []

    def run(index: int, target: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:  # surfaced below, with the others
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, target)) for index, target in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (a deadlock?)"
    assert not errors, errors
    return results
