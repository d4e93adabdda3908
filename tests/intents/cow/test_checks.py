"""Bad CoW orders are refused before any transaction, each with its code, and the settlement agrees: forced
into a settlement, each one reverts."""

from __future__ import annotations

import dataclasses

import pytest

from amm.chain import addresses as mainnet
from amm.chain.node import Node
from solver.intents.cow.checks import check_many
from solver.intents.cow.order import CowOrder, CowOrderError
from solver.intents.cow.settlement import SettlementError, settle
from solver.intents.cow.signing import sign
from solver.intents.cow.solve import Candidate, solve

USDC_IN = 10_000 * 10**6


def _order(chain: Node, router, **changes) -> CowOrder:
    limit = router.route(mainnet.USDC, mainnet.WETH, USDC_IN, gas_price_wei=0).amount_out * 97 // 100
    now = int(chain.block("pending")["timestamp"], 16)
    return dataclasses.replace(CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, limit, now + 3600), **changes)


def test_each_bad_order_has_its_code_and_reverts_if_forced(chain: Node, roles, router, owner) -> None:
    key, address = owner(20, USDC=USDC_IN)
    poor_key, _ = owner(21, USDC=USDC_IN // 2)
    other_key, _ = owner(22)
    unapproved_key, _ = owner(23, USDC=USDC_IN, approved=False)
    good = sign(_order(chain, router), key, chain.chain_id)
    now = int(chain.block("pending")["timestamp"], 16)
    cancelled = sign(_order(chain, router, app_data=b"\1" * 32), key, chain.chain_id)
    settlement = chain.contract("GPv2Settlement", mainnet.GPV2_SETTLEMENT)
    with chain.impersonating(address):
        settlement.transact("invalidateOrder", cancelled.uid, sender=address)
    forged = dataclasses.replace(sign(_order(chain, router), other_key, chain.chain_id), owner=address)
    cases = {
        "expired": sign(_order(chain, router, valid_to=now - 1), key, chain.chain_id),
        "wrong_chain": sign(_order(chain, router), key, 1),
        "invalid_signature": forged,
        "cancelled": cancelled,
        "insufficient_balance": sign(_order(chain, router), poor_key, chain.chain_id),
        "insufficient_allowance": sign(_order(chain, router), unapproved_key, chain.chain_id),
    }
    rejections, _ = check_many(chain, [good, *cases.values()])
    assert rejections[0] == []
    for code, found in zip(cases, rejections[1:], strict=True):
        assert [r.code for r in found] == [code], (code, found)
    for signed in cases.values():  # the settlement refuses each, whatever a solver does
        (solution,) = solve([Candidate(signed, USDC_IN)], router, deadline=now + 600)
        with pytest.raises(SettlementError, match="would revert"):
            settle(chain, solution.settlement, roles.solver)


def test_orders_the_settlement_could_not_decode_are_refused_when_built() -> None:
    with pytest.raises(CowOrderError, match="kind must be sell or buy"):
        CowOrder(mainnet.USDC, mainnet.WETH, 1, 1, 1, kind="swap")
    with pytest.raises(CowOrderError, match="valid_to must be a uint32"):
        CowOrder(mainnet.USDC, mainnet.WETH, 1, 1, 2**32)
    with pytest.raises(CowOrderError, match="sell_token 'nope' is not an address"):
        CowOrder("nope", mainnet.WETH, 1, 1, 1)
