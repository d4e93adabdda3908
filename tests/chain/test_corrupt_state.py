"""A corrupted state file is a one-line error that says how to rebuild it, never a traceback or a hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from amm.chain.devnet import statefile
from amm.chain.errors import ChainError
from amm.chain.session import start_devnet


def test_a_corrupted_state_file_says_to_rebuild(devnet, tmp_path: Path, monkeypatch) -> None:
    """The real manifest, with the state file swapped for a truncated copy of the real one."""
    broken = tmp_path / "state.json"
    broken.write_bytes(statefile.state_path().read_bytes()[:4096])
    manifest = statefile.read_manifest()
    monkeypatch.setattr(statefile, "ensure_state", lambda **_: manifest)
    monkeypatch.setattr(statefile, "state_path", lambda: broken)
    with pytest.raises(ChainError) as raised:
        start_devnet()
    message = str(raised.value)
    assert "amm devnet build --force" in message and str(broken) in message and "\n" not in message
