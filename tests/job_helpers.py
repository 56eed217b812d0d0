"""Running a real Huey consumer inside a test, on the app's real queue."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from huey import Huey
from huey.consumer import Consumer


@contextmanager
def running_consumer(huey: Huey, workers: int = 1) -> Iterator[Consumer]:
    """Huey's own consumer (worker threads and scheduler) for the block.

    ``Consumer.start`` installs its signal handlers; pytest keeps its own.
    """
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    saved[signal.SIGHUP] = signal.getsignal(signal.SIGHUP)
    consumer = huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=False,
        initial_delay=0.05,
        max_delay=0.2,
        scheduler_interval=1,
        check_worker_health=False,
    )
    consumer.start()
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
