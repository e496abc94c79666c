"""Until SIGTERM or SIGINT, or a time limit: the loop condition of the long-running helpers
(idle_floor.py, notify_listen.py), which bench-daemon.sh stops with SIGTERM."""
from __future__ import annotations

import signal
import time


class Running:
    """True until SIGTERM/SIGINT arrives or `max_seconds` have passed."""

    def __init__(self, max_seconds: float):
        self.stopped = False
        self.deadline = time.monotonic() + max_seconds
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def _stop(self, *_) -> None:
        self.stopped = True

    def __bool__(self) -> bool:
        return not self.stopped and time.monotonic() < self.deadline
