"""Carry out a JIT plan on anvil as one ordered block: our mint, the victim's raw transaction, our burn.

anvil stands in for a block builder: automine off, the victim's transaction taken out of the pending pool
(`anvil_dropTransaction`) and re-submitted between our two, any other pending transactions re-submitted after
them, and one `evm_mine`. anvil's default `--order fees` re-sorts the pending pool by fee and can drop a
same-sender transaction priced above its predecessor, so bundles need a node started with `--order fifo`
(`start_devnet(anvil_args=("--order", "fifo"))`); the result carries the block's transaction order so callers
and tests check it rather than trust it. The burn is `burnAll`, which never reverts on an empty position: if
the mint or the victim's swap failed, or the victim never made it into the block, it still runs and leaves
nothing of ours in the pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from eth_utils import keccak

from amm.chain.errors import ChainError, RpcError
from amm.chain.node import Node, Receipt
from solver.jit.executor import JitExecutor, PositionState
from solver.jit.plan import JitPlan

MINT_GAS_LIMIT = 800_000
BURN_GAS_LIMIT = 500_000


@dataclass(frozen=True)
class BundleResult:
    """What one bundle did, read from its block's receipts, logs and balances."""

    block: int
    order: tuple[str, ...]  # every transaction hash of the block, in block order
    mint_tx: str
    victim_tx: str
    burn_tx: str
    mint_ok: bool
    victim_ok: bool | None  # None: the victim's transaction is not in the block
    burn_ok: bool
    minted: tuple[int, int]  # paid to the pool (the Minted event)
    principal: tuple[int, int]  # credited back by the burn (the Burned event)
    collected: tuple[int, int]  # principal + fees, collected to the executor
    delta: tuple[int, int]  # what the executor got back less what it paid (its only token movements)
    gas_used: int  # our two transactions
    gas_cost_wei: int
    sqrt_price_after: int  # the pool's price right after the victim's swap (its Swap event)
    position_left: PositionState

    @property
    def fees(self) -> tuple[int, int]:
        return self.collected[0] - self.principal[0], self.collected[1] - self.principal[1]

    @property
    def in_order(self) -> bool:
        """Our mint, the victim, our burn: consecutive and in that order."""
        wanted = (self.mint_tx, self.victim_tx, self.burn_tx)
        order = self.order
        return any(order[i : i + 3] == wanted for i in range(len(order) - 2))


def send_bundle(
    node: Node,
    executor: JitExecutor,
    owner: str,
    plan: JitPlan,
    victim_raw: bytes,
    *,
    gas_price_wei: int,
    others: Sequence[bytes] = (),
) -> BundleResult:
    """Mine [mint, victim, burnAll, *others] into one block on an anvil node; read back what happened."""
    return send_bundles(
        node, executor, owner, [(plan, victim_raw)], gas_price_wei=gas_price_wei, others=others
    )[0]


def send_bundles(
    node: Node,
    executor: JitExecutor,
    owner: str,
    bundles: Sequence[tuple[JitPlan, bytes]],
    *,
    gas_price_wei: int,
    others: Sequence[bytes] = (),
) -> list[BundleResult]:
    """Mine [mint, victim, burnAll] for each (plan, victim) in turn, then `others`, into one block.

    Plans are made on the state before the block, so bundles in one block must be on different pools (and
    their victims must not depend on each other)."""
    pools = [plan.pool.lower() for plan, _ in bundles]
    if len(set(pools)) != len(pools):
        raise ValueError("one bundle per pool per block: a later plan would not see the earlier swap")
    before = node.block_number()
    automine = bool(node.rpc.call("anvil_getAutomine"))
    node.rpc.call("evm_setAutomine", [False])
    sent: list[tuple[str, str, str]] = []
    try:
        victims = ["0x" + keccak(raw).hex() for _, raw in bundles]
        given = {"0x" + keccak(raw).hex() for raw in others}
        # everything else pending goes after the bundles too (it would otherwise be mined ahead of our mint)
        waiting = [raw for h, raw in _pending_raws(node) if h not in given and h not in victims]
        others = [*others, *waiting]
        _drop(node, [*victims, *given, *("0x" + keccak(raw).hex() for raw in waiting)])
        nonce = int(node.rpc.call("eth_getTransactionCount", [owner, "pending"]), 16)
        for (plan, raw), victim_hash in zip(bundles, victims, strict=True):
            o = plan.outcome
            if o is None:
                raise ValueError("a skipped plan has no position to mint")
            rng = executor.range_of(plan.token0, plan.token1, plan.fee, o.tick_lower, o.tick_upper)
            mint = executor.mint_call(rng, o.liquidity, o.mint0, o.mint1)
            mint_tx = _send(node, owner, executor.address, mint, nonce, MINT_GAS_LIMIT, gas_price_wei)
            with contextlib.suppress(RpcError):  # refused (bad nonce, underpriced, ...): our burn still runs
                node.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
            burn = executor.burn_call(rng)
            burn_tx = _send(node, owner, executor.address, burn, nonce + 1, BURN_GAS_LIMIT, gas_price_wei)
            sent.append((mint_tx, victim_hash, burn_tx))
            nonce += 2
        for raw in others:
            with contextlib.suppress(RpcError):
                node.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
        node.rpc.call("evm_mine")
    finally:
        node.rpc.call("evm_setAutomine", [automine])
    number = before + 1
    order = tuple(node.block(number)["transactions"])
    ours = [tx for triple in sent for tx in triple if tx in order]
    if list(order[: len(ours)]) != ours:
        raise ChainError(
            f"block {number} does not open with our bundles in order (is the node started with --order fifo?)"
        )
    return [
        _read(node, executor, plan, txs, order, number) for (plan, _), txs in zip(bundles, sent, strict=True)
    ]


def _read(
    node: Node,
    executor: JitExecutor,
    plan: JitPlan,
    txs: tuple[str, str, str],
    order: tuple[str, ...],
    number: int,
) -> BundleResult:
    """One bundle's outcome from its receipts: the executor's events, the victim's Swap on the pool."""
    mint_tx, victim_hash, burn_tx = txs
    o = plan.outcome
    assert o is not None
    if mint_tx not in order or burn_tx not in order:
        raise ChainError(f"block {number} does not hold our bundle (is the node started with --order fifo?)")
    receipts = {h: node.rpc.call("eth_getTransactionReceipt", [h]) for h in (mint_tx, burn_tx)}
    victim_receipt = (
        node.rpc.call("eth_getTransactionReceipt", [victim_hash]) if victim_hash in order else None
    )
    minted = _event(executor, receipts[mint_tx], "Minted")
    burned = _event(executor, receipts[burn_tx], "Burned")
    pool = node.contract("UniswapV3Pool", plan.pool)
    swaps = pool.events(victim_receipt, "Swap") if victim_receipt is not None and _ok(victim_receipt) else []
    # the price right after the victim (our burn does not move it); without a swap, the price before the block
    price = swaps[-1]["sqrtPriceX96"] if swaps else pool.call("slot0", block=number - 1)[0]
    paid = (minted.get("amount0", 0), minted.get("amount1", 0))
    got = (burned.get("collected0", 0), burned.get("collected1", 0))
    return BundleResult(
        block=number,
        order=order,
        mint_tx=mint_tx,
        victim_tx=victim_hash,
        burn_tx=burn_tx,
        mint_ok=_ok(receipts[mint_tx]),
        victim_ok=None if victim_receipt is None else _ok(victim_receipt),
        burn_ok=_ok(receipts[burn_tx]),
        minted=paid,
        principal=(burned.get("principal0", 0), burned.get("principal1", 0)),
        collected=got,
        delta=(got[0] - paid[0], got[1] - paid[1]),
        gas_used=sum(int(r["gasUsed"], 16) for r in receipts.values()),
        gas_cost_wei=sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for r in receipts.values()),
        sqrt_price_after=price,
        position_left=executor.position(plan.pool, o.tick_lower, o.tick_upper, number),
    )


def _send(node: Node, sender: str, to: str, data: bytes, nonce: int, gas: int, gas_price: int) -> str:
    tx = {
        "from": sender,
        "to": to,
        "data": "0x" + data.hex(),
        "nonce": hex(nonce),
        "gas": hex(gas),
        "gasPrice": hex(gas_price),
    }
    return node.rpc.call("eth_sendTransaction", [tx])


def _pending_raws(node: Node) -> list[tuple[str, bytes]]:
    """(hash, raw) of every pending transaction, each sender's in nonce order."""
    pool = node.rpc.call("txpool_content") or {}
    found = []
    for by_nonce in (pool.get("pending") or {}).values():
        for _, tx in sorted(by_nonce.items(), key=lambda item: int(item[0])):
            raw = node.rpc.call("eth_getRawTransactionByHash", [tx["hash"]])
            if raw:
                found.append((tx["hash"], bytes.fromhex(raw[2:])))
    return found


def _drop(node: Node, hashes: Sequence[str]) -> None:
    """Take transactions out of the pending pool so they can be re-submitted in the bundle's order."""
    for tx_hash in hashes:
        with contextlib.suppress(RpcError):  # not pending: nothing to drop
            node.rpc.call("anvil_dropTransaction", [tx_hash])


def _ok(receipt: Receipt) -> bool:
    return int(receipt["status"], 16) == 1


def _event(executor: JitExecutor, receipt: Receipt, name: str) -> dict[str, int]:
    events = executor.contract.events(receipt, name) if _ok(receipt) else []
    return events[0] if events else {}
