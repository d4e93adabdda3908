"""CoW orders signed in Python, solved in a batch and settled on the real GPv2Settlement of the built-in
chain: each signing scheme, sell and buy, partial fills, receivers, BUY_ETH, and a coincidence of wants that
needs fewer pool interactions than routing each order alone. Every executed trade is checked against its limit
from the chain (balances and the Trade events), not from the solver's own prediction."""

from __future__ import annotations

import pytest
from eth_account import Account

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.node import Node
from amm.chain.tokens import MAX_UINT256, balance_of
from solver.intents.cow.checks import check_many
from solver.intents.cow.order import BUY_ETH, CowOrder
from solver.intents.cow.settlement import SettlementError, settle
from solver.intents.cow.signing import eip1271, presign, sign
from solver.intents.cow.solve import Candidate, solve
from solver.routing.router import Router
from solver.routing.universe import Universe

USDC_IN = 30_000 * 10**6
WETH_IN = 9 * 10**18


def _now(chain: Node) -> int:
    return int(chain.block("pending")["timestamp"], 16)


def _market(router: Router, sell: str, buy: str, amount: int) -> int:
    return router.route(sell, buy, amount, gas_price_wei=0).amount_out


def _settle(chain: Node, roles, router: Router, signed_orders, **kw):
    rejections, filled = check_many(chain, signed_orders)
    assert rejections == [[] for _ in signed_orders], rejections
    candidates = [
        Candidate(s, (s.order.sell_amount if s.order.is_sell else s.order.buy_amount) - f)
        for s, f in zip(signed_orders, filled, strict=True)
    ]
    (solution,) = solve(candidates, router, deadline=_now(chain) + 600, **kw)
    return solution, settle(chain, solution.settlement, roles.solver)


@pytest.mark.parametrize("scheme", ["eip712", "ethsign"])
def test_an_eoa_sell_order_settles_through_the_pools(chain: Node, roles, router, owner, scheme: str) -> None:
    key, address = owner(1, USDC=USDC_IN)
    limit = _market(router, mainnet.USDC, mainnet.WETH, USDC_IN) * 98 // 100
    order = CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, limit, _now(chain) + 3600)
    signed = sign(order, key, chain.chain_id, scheme=scheme)
    weth_before = balance_of(chain, mainnet.WETH, address)
    solution, done = _settle(chain, roles, router, [signed])
    assert solution.route is not None and solution.settlement.interactions  # routed: nothing to match
    got = balance_of(chain, mainnet.WETH, address) - weth_before
    assert got == done.executed[0].buy >= limit
    assert balance_of(chain, mainnet.USDC, address) == 0  # sold all of it, no fee
    filled = chain.contract("GPv2Settlement", mainnet.GPV2_SETTLEMENT).call("filledAmount", signed.uid)
    assert filled == USDC_IN
    assert [r.code for r in check_many(chain, [signed])[0][0]] == ["already_filled", "insufficient_balance"]


def test_a_contract_owner_signs_with_eip1271(chain: Node, roles, router, owner, fund) -> None:
    key, signer = owner(2)
    wallet = chain.deploy(roles.deployer, artifacts.load("SignerWallet").creation_code(signer))
    fund("USDC", wallet, USDC_IN)
    chain.add_signer(Account.from_key(key))  # the wallet's owner signs its own transaction
    chain.contract("SignerWallet", wallet).transact(
        "approve", mainnet.USDC, mainnet.GPV2_VAULT_RELAYER, MAX_UINT256, sender=signer
    )
    limit = _market(router, mainnet.USDC, mainnet.WETH, USDC_IN) * 98 // 100
    order = CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, limit, _now(chain) + 3600)
    digest = order.digest(chain.chain_id)
    inner = bytes(Account.unsafe_sign_hash(digest, key).signature)
    forged = eip1271(
        order, wallet, bytes(Account.unsafe_sign_hash(digest, "0x" + "77" * 32).signature), chain.chain_id
    )
    assert [r.code for r in check_many(chain, [forged])[0][0]] == ["invalid_signature"]
    signed = eip1271(order, wallet, inner, chain.chain_id)
    _, done = _settle(chain, roles, router, [signed])
    assert balance_of(chain, mainnet.WETH, wallet) == done.executed[0].buy >= limit


def test_a_presigned_order_settles_once_presigned(chain: Node, roles, router, owner) -> None:
    _, address = owner(3, USDC=USDC_IN)
    limit = _market(router, mainnet.USDC, mainnet.WETH, USDC_IN) * 98 // 100
    order = CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, limit, _now(chain) + 3600)
    signed = presign(order, address, chain.chain_id)
    assert [r.code for r in check_many(chain, [signed])[0][0]] == ["not_presigned"]
    settlement = chain.contract("GPv2Settlement", mainnet.GPV2_SETTLEMENT)
    with chain.impersonating(address):
        settlement.transact("setPreSignature", signed.uid, True, sender=address)
    _, done = _settle(chain, roles, router, [signed])
    assert balance_of(chain, mainnet.WETH, address) == done.executed[0].buy >= limit


def test_a_buy_order_to_a_receiver(chain: Node, roles, router, owner) -> None:
    """Buy exactly 2 WETH for at most 2% over market, paid to someone else."""
    key, address = owner(4, USDC=2 * USDC_IN)
    receiver = "0x000000000000000000000000000000000000bEEF"
    cost = router.route(mainnet.USDC, mainnet.WETH, 2 * 10**18, "exact_out", gas_price_wei=0).amount_in
    buy = CowOrder(
        mainnet.USDC,
        mainnet.WETH,
        cost * 102 // 100,
        2 * 10**18,
        _now(chain) + 3600,
        kind="buy",
        receiver=receiver,
    )
    signed = sign(buy, key, chain.chain_id)
    before = balance_of(chain, mainnet.USDC, address)
    _, done = _settle(chain, roles, router, [signed])
    assert balance_of(chain, mainnet.WETH, receiver) == 2 * 10**18
    paid = before - balance_of(chain, mainnet.USDC, address)
    assert paid == done.executed[0].sell <= cost * 102 // 100


def test_a_buy_eth_order_is_paid_in_ether(chain: Node, roles, router, owner) -> None:
    key, address = owner(5, USDC=USDC_IN)
    limit = _market(router, mainnet.USDC, mainnet.WETH, USDC_IN) * 98 // 100
    order = CowOrder(mainnet.USDC, BUY_ETH, USDC_IN, limit, _now(chain) + 3600)
    signed = sign(order, key, chain.chain_id)
    eth_before = chain.balance(address)
    _, done = _settle(chain, roles, router, [signed])
    assert chain.balance(address) - eth_before == done.executed[0].buy >= limit


def test_a_coincidence_of_wants_uses_fewer_pool_interactions(chain: Node, roles, router, owner) -> None:
    """A USDC seller and a WETH seller of similar size: the batch matches them and routes only the residual,
    so it needs fewer interactions than the two routed alone, and each gets at least its limit."""
    key_a, a = owner(6, USDC=USDC_IN)
    key_b, b = owner(7, WETH=WETH_IN // 3)
    weth_for_usdc = _market(router, mainnet.USDC, mainnet.WETH, USDC_IN)
    usdc_for_weth = _market(router, mainnet.WETH, mainnet.USDC, WETH_IN // 3)
    deadline = _now(chain) + 3600
    sa = sign(
        CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, weth_for_usdc * 99 // 100, deadline),
        key_a,
        chain.chain_id,
    )
    sb = sign(
        CowOrder(mainnet.WETH, mainnet.USDC, WETH_IN // 3, usdc_for_weth * 99 // 100, deadline),
        key_b,
        chain.chain_id,
    )
    alone = [
        solve([Candidate(s, s.order.sell_amount)], router, deadline=deadline)[0].settlement for s in (sa, sb)
    ]
    solution, done = _settle(chain, roles, router, [sa, sb])
    together = solution.settlement
    assert len(together.interactions) < sum(len(s.interactions) for s in alone)
    assert together.prices[mainnet.USDC] != 0 and len(done.executed) == 2
    got_a = balance_of(chain, mainnet.WETH, a)
    got_b = balance_of(chain, mainnet.USDC, b)
    assert got_a >= weth_for_usdc * 99 // 100 and got_b >= usdc_for_weth * 99 // 100
    # one price for both: A's WETH per USDC is the inverse of B's USDC per WETH (to the contract's rounding)
    assert abs(got_a * got_b * 10**9 // (USDC_IN * (WETH_IN // 3)) - 10**9) <= 1


def test_an_order_whose_limit_the_batch_cannot_meet_is_left_out(chain: Node, roles, router, owner) -> None:
    key_a, _ = owner(8, USDC=USDC_IN)
    key_b, _ = owner(9, USDC=USDC_IN)
    market = _market(router, mainnet.USDC, mainnet.WETH, USDC_IN)
    deadline = _now(chain) + 3600
    fair = sign(
        CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, market * 97 // 100, deadline), key_a, chain.chain_id
    )
    greedy = sign(CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, market * 2, deadline), key_b, chain.chain_id)
    (solution,) = solve([Candidate(fair, USDC_IN), Candidate(greedy, USDC_IN)], router, deadline=deadline)
    assert [t.order.uid for t in solution.settlement.trades] == [fair.uid]
    assert [c.order.uid for c, _ in solution.dropped] == [greedy.uid]
    settle(chain, solution.settlement, roles.solver)


def test_a_stranger_cannot_settle_and_a_short_settlement_is_refused(
    chain: Node, roles, router, owner
) -> None:
    key, _ = owner(10, USDC=USDC_IN)
    limit = _market(router, mainnet.USDC, mainnet.WETH, USDC_IN) * 98 // 100
    signed = sign(
        CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, limit, _now(chain) + 3600), key, chain.chain_id
    )
    (solution,) = solve([Candidate(signed, USDC_IN)], router, deadline=_now(chain) + 600)
    with pytest.raises(SettlementError, match="GPv2: not a solver"):
        settle(chain, solution.settlement, roles.users[0])
    solution.settlement.interactions = []  # no swap: the settlement holds no WETH to pay with
    with pytest.raises(SettlementError, match="would revert"):
        settle(chain, solution.settlement, roles.solver)


def test_a_partially_fillable_order_fills_in_two_batches(chain: Node, roles, router, owner) -> None:
    """Half of a partially fillable order in one settlement; the check then reports what is left, and the
    second settlement executes exactly that; the fee is charged pro rata each time."""
    key, address = owner(11, USDC=2 * USDC_IN)
    limit = _market(router, mainnet.USDC, mainnet.WETH, 2 * USDC_IN) * 97 // 100
    order = CowOrder(
        mainnet.USDC,
        mainnet.WETH,
        2 * USDC_IN - 10**6,
        limit,
        _now(chain) + 3600,
        partially_fillable=True,
        fee_amount=10**6,
    )
    signed = sign(order, key, chain.chain_id)
    (first,) = solve([Candidate(signed, USDC_IN)], router, deadline=_now(chain) + 600)
    done = settle(chain, first.settlement, roles.solver)
    fee = 10**6 * USDC_IN // (2 * USDC_IN - 10**6)
    assert done.executed[0].sell == USDC_IN + fee and done.executed[0].fee == fee
    rejections, (filled,) = check_many(chain, [signed])
    assert rejections == [[]] and filled == USDC_IN
    moved = Router(Universe.discover(chain))  # the pools as the first settlement left them
    (second,) = solve([Candidate(signed, order.sell_amount - filled)], moved, deadline=_now(chain) + 600)
    settle(chain, second.settlement, roles.solver)
    contract = chain.contract("GPv2Settlement", mainnet.GPV2_SETTLEMENT)
    assert contract.call("filledAmount", signed.uid) == order.sell_amount
    assert balance_of(chain, mainnet.WETH, address) >= limit - 1  # each part at its pro-rata limit, rounded
    assert [r.code for r in check_many(chain, [signed])[0][0]] == ["already_filled"]
