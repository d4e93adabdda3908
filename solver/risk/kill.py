"""The kill switch: one place that says "stop trading", whoever pulls it.

It trips on SIGINT/SIGTERM (handlers installed only by `install_signal_handlers`, the previous ones restored
by `close`), on a file appearing at `path` (checked by every `poll`), or programmatically with `trip(reason)`
(what the HTTP `POST /kill` handler calls, from any thread). The first reason is kept; later trips are
ignored.

What a run does once it has tripped (the contract every driver of the pipeline follows):

1. **stop new fills at once**: no order is decided or sent after `tripped` turns non-None (`RiskState.
   allows_fill` answers `risk_limit:killed`), and no new hedge is started;
2. **let in-flight fills settle**: transactions already sent are awaited (mined, reverted or dropped) and
   recorded in the ledger, so nothing is left half-booked;
3. **then report**: the run's summary is printed (or written as JSON) with the kill reason, and the process
   exits normally.

A second SIGINT while the run is already stopping raises KeyboardInterrupt, so a user can still abandon a run
whose in-flight fills hang (the ledger's write-ahead statuses make that safe to resume).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import Any

DEFAULT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class KillSwitch:
    """Trips once, for the first reason given; `tripped` is that reason, or None."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.tripped_at: float | None = None  # time.time() of the trip
        self._reason: str | None = None
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._previous: dict[int, Any] = {}

    # -- tripping ------------------------------------------------------------------------------------
    def trip(self, reason: str) -> bool:
        """Trip for `reason`; True if this call tripped it (False: already tripped). Thread-safe."""
        with self._lock:
            if self._reason is not None:
                return False
            self._reason = reason
            self.tripped_at = time.time()
        self._event.set()
        return True

    def poll(self) -> str | None:
        """Check the kill file (once per block or loop turn) and return `tripped`."""
        if self._reason is None and self.path is not None and self.path.exists():
            self.trip(f"file:{self.path}")
        return self._reason

    @property
    def tripped(self) -> str | None:
        """Why the switch tripped, or None (does not look at the file: `poll` does)."""
        return self._reason

    def wait(self, timeout: float | None = None) -> str | None:
        """Block until tripped (or `timeout` seconds); returns `tripped`."""
        self._event.wait(timeout)
        return self._reason

    # -- signals ---------------------------------------------------------------------------------------
    def install_signal_handlers(self, signals: Iterable[int] = DEFAULT_SIGNALS) -> None:
        """Trip on these signals instead of dying (main thread only); `close` restores the previous
        handlers."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("signal handlers can only be installed from the main thread")
        for signum in signals:
            if signum not in self._previous:
                self._previous[signum] = signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self.trip(f"signal:{name}") and signum == signal.SIGINT:
            raise KeyboardInterrupt(f"second {name} while stopping")

    def close(self) -> None:
        """Restore the signal handlers that were there before `install_signal_handlers`."""
        while self._previous:
            signum, handler = self._previous.popitem()
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    def __enter__(self) -> KillSwitch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
