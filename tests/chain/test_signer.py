"""Transactions signed here as a bot sends them: EIP-1559 fees, nonces tracked locally, resync when another
sender used the key. Run from fresh keys on the built-in chain (each test inside the `chain` snapshot)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from amm.chain.node import Node

ETH = 10**18


@pytest.fixture
def signer(chain: Node) -> Any:
    """A fresh funded key, added to the node (its transactions signed here, sent raw)."""
    account = Account.create()
    chain.add_signer(account)
    chain.set_balance(account.address, 10 * ETH)
    return account


def _tx(node: Node, receipt: dict[str, Any]) -> dict[str, Any]:
    return node.rpc.call("eth_getTransactionByHash", [receipt["transactionHash"]])


def test_signed_sends_are_type_2_with_twice_the_base_fee_plus_the_tip(chain: Node, signer, user) -> None:
    base = int(chain.block()["baseFeePerGas"], 16)
    tip = int(chain.rpc.call("eth_maxPriorityFeePerGas"), 16)
    receipt = chain.send(signer.address, user, value=ETH)
    tx = _tx(chain, receipt)
    assert int(receipt["status"], 16) == 1 and int(tx["type"], 16) == 2
    assert int(tx["maxPriorityFeePerGas"], 16) == tip
    assert int(tx["maxFeePerGas"], 16) == 2 * base + tip
    assert "gasPrice" not in tx or int(tx["gasPrice"], 16) <= 2 * base + tip  # effective price, if shown


def test_a_given_tip_and_a_given_gas_price(chain: Node, signer, user) -> None:
    """The caller's tip replaces the node's; a gas_price keeps legacy (type 0) pricing."""
    tipped = _tx(chain, chain.send(signer.address, user, value=1, priority_fee_wei=3 * 10**9))
    assert int(tipped["type"], 16) == 2 and int(tipped["maxPriorityFeePerGas"], 16) == 3 * 10**9
    legacy = _tx(chain, chain.send(signer.address, user, value=1, gas_price=7 * 10**9))
    assert int(legacy["type"], 16) == 0 and int(legacy["gasPrice"], 16) == 7 * 10**9


def test_quick_sends_take_consecutive_nonces_tracked_locally(
    chain: Node, signer, user, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five transfers back to back: nonces 0..4, all mined, and the node asked for the count only once."""
    asked: list[str] = []
    call = chain.rpc.call

    def counting(method: str, params: Any = ()) -> Any:
        asked.append(method)
        return call(method, params)

    monkeypatch.setattr(chain.rpc, "call", counting)
    receipts = [chain.send(signer.address, user, value=n + 1) for n in range(5)]
    monkeypatch.undo()
    assert [int(_tx(chain, r)["nonce"], 16) for r in receipts] == [0, 1, 2, 3, 4]
    assert all(int(r["status"], 16) == 1 for r in receipts)
    assert asked.count("eth_getTransactionCount") == 1
    assert int(chain.rpc.call("eth_getTransactionCount", [signer.address, "latest"]), 16) == 5


def test_nonce_too_low_resyncs_from_the_node(chain: Node, signer, user) -> None:
    """Another process sent with the same key: the tracked nonce is stale, the send resyncs, goes through."""
    chain.send(signer.address, user, value=1)  # tracked next nonce: 1
    elsewhere = signer.sign_transaction(
        {"to": user, "value": 1, "gas": 21_000, "gasPrice": 10 * 10**9, "nonce": 1, "chainId": chain.chain_id}
    )
    chain.receipt(chain.rpc.call("eth_sendRawTransaction", ["0x" + bytes(elsewhere.raw_transaction).hex()]))
    receipt = chain.send(signer.address, user, value=2)
    assert int(receipt["status"], 16) == 1 and int(_tx(chain, receipt)["nonce"], 16) == 2
