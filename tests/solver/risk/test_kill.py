"""The kill switch: trips on a file, programmatically (from any thread), or on SIGTERM/SIGINT with its
handlers installed; the previous handlers come back on close."""

from __future__ import annotations

import signal
import threading

import pytest

from solver.risk import KillSwitch


def test_programmatic_trip_keeps_the_first_reason() -> None:
    kill = KillSwitch()
    assert kill.tripped is None and kill.poll() is None
    assert kill.trip("http:POST /kill") is True
    assert kill.trip("later") is False
    assert kill.tripped == "http:POST /kill" and kill.tripped_at is not None


def test_trip_from_another_thread_wakes_a_waiter() -> None:
    kill = KillSwitch()
    threading.Timer(0.05, kill.trip, args=("http:POST /kill",)).start()
    assert kill.wait(timeout=5) == "http:POST /kill"


def test_file_trips_on_poll(tmp_path) -> None:
    path = tmp_path / "KILL"
    kill = KillSwitch(path)
    assert kill.poll() is None
    path.touch()
    assert kill.tripped is None  # only a poll looks at the file
    assert kill.poll() == f"file:{path}"
    path.unlink()
    assert kill.poll() == f"file:{path}"  # stays tripped


def test_sigterm_trips_and_handlers_are_restored() -> None:
    def before(signum, frame):  # pragma: no cover - must not be called while the switch is installed
        raise AssertionError("previous handler called")

    old_term = signal.signal(signal.SIGTERM, before)
    old_int = signal.getsignal(signal.SIGINT)
    try:
        with KillSwitch() as kill:
            kill.install_signal_handlers()
            signal.raise_signal(signal.SIGTERM)
            assert kill.tripped == "signal:SIGTERM"
            signal.raise_signal(signal.SIGTERM)  # a second SIGTERM is ignored
            with pytest.raises(KeyboardInterrupt):  # a second SIGINT forces the way out
                signal.raise_signal(signal.SIGINT)
        assert signal.getsignal(signal.SIGTERM) is before
        assert signal.getsignal(signal.SIGINT) is old_int
    finally:
        signal.signal(signal.SIGTERM, old_term)


def test_sigint_trips() -> None:
    old = signal.getsignal(signal.SIGINT)
    kill = KillSwitch()
    kill.install_signal_handlers([signal.SIGINT])
    try:
        signal.raise_signal(signal.SIGINT)
        assert kill.tripped == "signal:SIGINT"
    finally:
        kill.close()
    assert signal.getsignal(signal.SIGINT) is old


def test_handlers_only_from_the_main_thread() -> None:
    errors: list[Exception] = []

    def install() -> None:
        try:
            KillSwitch().install_signal_handlers()
        except RuntimeError as e:
            errors.append(e)

    thread = threading.Thread(target=install)
    thread.start()
    thread.join()
    assert errors and "main thread" in str(errors[0])
