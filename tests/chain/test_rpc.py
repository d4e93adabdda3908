"""The raw JSON-RPC client: batches keep order, errors stay in place, reverts decode."""

from __future__ import annotations

import pytest

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.errors import RpcError, decode_revert
from amm.chain.node import Node


def test_batch_returns_results_in_order_and_counts_requests(chain: Node) -> None:
    rpc = chain.rpc
    requests, calls = rpc.http_requests, rpc.calls
    results = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in range(50)], size=20)
    assert [int(r["number"], 16) for r in results] == list(range(50))
    assert rpc.http_requests - requests == 3  # 20 + 20 + 10
    assert rpc.calls - calls == 50


def test_errors_stay_in_place_in_batch_results(chain: Node) -> None:
    pool = artifacts.interface("UniswapV3Pool")
    calls = [
        ("eth_blockNumber", []),
        ("eth_call", [{"to": mainnet.QUOTER_V2, "data": "0xdeadbeef"}, "latest"]),
        ("eth_call", [{"to": mainnet.V3_FACTORY, "data": "0x" + pool.encode("fee").hex()}, "latest"]),
    ]
    first, reverted, _ = chain.rpc.batch_results(calls)
    assert isinstance(first, str) and isinstance(reverted, RpcError)
    with pytest.raises(RpcError):
        chain.rpc.batch(calls)


def test_revert_reason_of_a_direct_pool_call(chain: Node) -> None:
    """Calling swap directly with a zero amount hits the pool's own require: 'AS'."""
    pool = chain.contract("UniswapV3Pool", "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640")
    data = pool.interface.encode("swap", mainnet.WETH, True, 0, 4295128740, b"")
    with pytest.raises(RpcError) as raised:
        chain.call(pool.address, data)
    assert raised.value.revert_reason == "AS"


def test_decode_revert_forms() -> None:
    assert decode_revert(b"") == ""
    panic = bytes.fromhex("4e487b71") + (0x11).to_bytes(32, "big")
    assert decode_revert(panic) == "Panic(0x11)"
    assert decode_revert(bytes.fromhex("12345678")) == "0x12345678"
