"""Artifacts come from npm packages and our solc-js build, never from pasted hex."""

from __future__ import annotations

import json

import pytest

from amm.chain import artifacts
from amm.chain.errors import ArtifactMissing

ALL = [*artifacts.NPM_ARTIFACTS, *artifacts.UNISWAPX_ARTIFACTS, "MintableERC20"]


@pytest.mark.parametrize("name", ALL)
def test_every_artifact_loads_with_abi_and_creation_code(name: str) -> None:
    artifact = artifacts.load(name)
    assert artifact.abi, name
    assert len(artifact.bytecode_hex) > 1000
    assert artifact.interface.name == name


def test_library_placeholders_must_be_linked() -> None:
    descriptor = artifacts.load("NonfungibleTokenPositionDescriptor")
    with pytest.raises(ArtifactMissing, match="NFTDescriptor"):
        _ = descriptor.bytecode
    library = "0x" + "ab" * 20
    linked = descriptor.linked({"NFTDescriptor": library})
    assert bytes.fromhex("ab" * 20) in linked
    assert b"__$" not in linked


def test_missing_artifact_says_what_to_run(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMM_PROJECT_ROOT", str(tmp_path))
    artifacts._load.cache_clear()
    try:
        with pytest.raises(ArtifactMissing) as raised:
            artifacts.load("QuoterV2")
        assert "make setup" in str(raised.value) and "\n" not in str(raised.value)
    finally:
        monkeypatch.delenv("AMM_PROJECT_ROOT")
        artifacts._load.cache_clear()


def test_compiled_artifact_records_its_compiler() -> None:
    raw = json.loads((artifacts.build_dir() / "contracts" / "MintableERC20.json").read_text())
    assert raw["compiler"].startswith("solc-js 0.8.37")
    assert raw["sourceName"] == "contracts/tokens/MintableERC20.sol"


def test_abi_codec_round_trips_a_struct_call() -> None:
    npm = artifacts.interface("NonfungiblePositionManager")
    mint = npm.fn("mint")
    assert mint.signature.startswith("mint((address,address,uint24,int24,int24,")
    params = ("0x" + "11" * 20, "0x" + "22" * 20, 500, -887270, 887270, 10, 20, 0, 0, "0x" + "33" * 20, 99)
    data = mint.encode(params)
    assert data[:4] == mint.selector and len(data) == 4 + 11 * 32
