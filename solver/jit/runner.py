"""The JIT bot: watch pending transactions, plan each swap, bundle the best ones into the next block.

One `step` is one block. New pending transactions come from a pending-transaction filter (arrival order); each
is fetched raw, decoded, and every hop through a known v3 pool is planned against the executor's inventory.
The most profitable plans, one per pool, go out as bundles (mint, victim, burn, one after another) with
every other pending transaction after them; otherwise the block is mined as it is. Then the pool models are
refreshed from the chain. The node must mine only when told (automine off, `--order fifo`): the bot plays the
block builder.

Everything the summary reports is read from the chain (receipts, events, balances). A bundle's PnL is its
token changes valued at the pool's price right after the victim's swap (from the victim's Swap event), in wei
of ETH (through the deepest WETH pool for pools without WETH), less the gas of our two transactions.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from amm.chain import addresses as mainnet
from amm.chain.errors import RpcError
from amm.chain.node import Node
from amm.v3.pool import Pool
from solver.jit.bundle import BundleResult, send_bundles
from solver.jit.decode import Decoder, PendingSwap, Skip
from solver.jit.executor import JitExecutor
from solver.jit.plan import JitPlan, Planner, spot_price
from solver.routing.universe import Universe


@dataclass(frozen=True)
class Row:
    """One pending transaction and what the bot did about it."""

    block: int
    tx_hash: str
    sender: str
    pool: str  # name, or "" when not decoded
    via: str
    amount: int  # |amount_specified| of the hop planned on
    token: str  # symbol of that amount
    decision: str  # "executed", "planned" (profitable, but another plan won the block), or "skip"
    reason: str
    fee: int = 0  # fee earned, raw units of `token`'s input side
    pnl_wei: Fraction = Fraction(0)
    plan: JitPlan | None = None
    bundle: BundleResult | None = None


@dataclass
class Summary:
    """Totals of a run, every figure read from the chain."""

    blocks: int = 0
    seen: int = 0
    planned: int = 0
    executed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    fees: Counter[str] = field(default_factory=Counter)  # token address -> raw fees collected
    deltas: Counter[str] = field(default_factory=Counter)  # token address -> executor balance change
    gas_wei: int = 0
    pnl_wei: Fraction = Fraction(0)  # deltas valued at each bundle's end price, minus gas

    def to_dict(self, symbols: dict[str, str]) -> dict[str, Any]:
        def named(counter: Counter[str]) -> dict[str, str]:
            return {symbols.get(a.lower(), a): str(v) for a, v in sorted(counter.items())}

        return {
            "blocks": self.blocks,
            "swaps_seen": self.seen,
            "planned": self.planned,
            "executed": self.executed,
            "skipped": dict(sorted(self.skipped.items())),
            "fees": named(self.fees),
            "inventory_change": named(self.deltas),
            "gas_wei": str(self.gas_wei),
            "pnl_wei": {"exact": str(self.pnl_wei), "approx_eth": float(self.pnl_wei) / 1e18},
        }


def eth_price(universe: Universe, token: str) -> Fraction | None:
    """Raw `token` per wei of ETH at the deepest v3 WETH pool's spot price (1 for WETH itself)."""
    if token.lower() == mainnet.WETH.lower():
        return Fraction(1)
    pools = [p for p in universe.pools_between(token, mainnet.WETH) if isinstance(p.model, Pool)]
    if not pools:
        return None
    deepest = max(pools, key=lambda p: p.model.liquidity)
    model = deepest.model
    assert isinstance(model, Pool)
    price = spot_price(model.sqrt_price_x96)  # token1 per token0
    return price if model.token1 is not None and model.token1.lower() == token.lower() else 1 / price


def _holds_weth(pool: Pool) -> bool:
    return mainnet.WETH.lower() in (str(pool.token0).lower(), str(pool.token1).lower())


class JitRunner:
    """Watches pending transactions on `node` and runs JIT bundles through `executor` (owned by `owner`)."""

    def __init__(
        self,
        node: Node,
        executor: JitExecutor,
        owner: str,
        universe: Universe,
        *,
        planner: Planner | None = None,
        gas_price_wei: int,
        routers: dict[str, str] | None = None,
    ) -> None:
        self.node = node
        self.executor = executor
        self.owner = owner
        self.universe = universe
        self.planner = planner or Planner()
        self.gas_price_wei = gas_price_wei
        self.routers = routers
        self.summary = Summary()
        self.rows: list[Row] = []
        self._filter = node.rpc.call("eth_newPendingTransactionFilter")
        self._seen: set[str] = set()  # every hash handled (re-submitted ones come through the filter again)

    @property
    def symbols(self) -> dict[str, str]:
        return {a: t.symbol for a, t in self.universe.tokens.items()}

    def _decoder(self) -> Decoder:
        models = {p.address: p.model for p in self.universe.pools if isinstance(p.model, Pool)}
        return Decoder(models, self.routers)

    def step(self) -> list[Row]:
        """Plan every new pending transaction, mine one block (with the best bundle if one pays)."""
        fresh = []
        for tx_hash in self.node.rpc.call("eth_getFilterChanges", [self._filter]) or []:
            if tx_hash not in self._seen:
                self._seen.add(tx_hash)
                fresh.append(tx_hash)
        raws: dict[str, bytes] = {}
        for tx_hash in fresh:
            raw = self.node.rpc.call("eth_getRawTransactionByHash", [tx_hash])
            if raw and self.node.rpc.call("eth_getTransactionReceipt", [tx_hash]) is None:
                raws[tx_hash] = bytes.fromhex(raw[2:])
        block = self.node.block_number() + 1
        decoder = self._decoder()
        rows: list[Row] = []
        profitable: list[tuple[Fraction, int, JitPlan, bytes]] = []
        for tx_hash, raw in raws.items():
            self.summary.seen += 1
            decoded = decoder.decode(raw)
            if isinstance(decoded, Skip):
                rows.append(Row(block, tx_hash, decoded.sender, "", "", 0, "", "skip", decoded.reason))
                continue
            latest = int(self.node.rpc.call("eth_getTransactionCount", [decoded.sender, "latest"]), 16)
            if decoded.nonce != latest:
                # a same-sender transaction must go first: it would land between our mint and the victim
                rows.append(Row(block, tx_hash, decoded.sender, "", decoded.via, 0, "", "skip", "nonce_gap"))
                continue
            row, plan = self._plan(block, decoded)
            rows.append(row)
            if plan is not None and plan.execute:
                profitable.append((plan.net * self._wei_per_token1(plan), len(rows) - 1, plan, raw))
        chosen = self._choose(profitable)
        if chosen:
            bundles = [(plan, raw) for _, _, plan, raw in chosen]
            taken = {id(raw) for _, raw in bundles}
            others = [r for r in raws.values() if id(r) not in taken]
            results = send_bundles(
                self.node, self.executor, self.owner, bundles, gas_price_wei=self.gas_price_wei, others=others
            )
            for (_, index, plan, _), bundle in zip(chosen, results, strict=True):
                self._seen.update({bundle.mint_tx, bundle.burn_tx})
                rows[index] = self._book(rows[index], plan, bundle)
        else:
            self.node.rpc.call("evm_mine")
        for row in rows:
            if row.decision == "skip":
                self.summary.skipped[row.reason] += 1
            elif row.decision == "planned":
                self.summary.skipped["pool_taken_this_block"] += 1
        self.summary.blocks += 1
        self.universe.refresh(self.node)
        self.rows += rows
        return rows

    def _plan(self, block: int, swap: PendingSwap) -> tuple[Row, JitPlan | None]:
        """The best plan over the swap's hops through known pools (planned ones count once per swap)."""
        best: JitPlan | None = None
        inventory_cache: dict[str, tuple[int, ...]] = {}
        for leg in swap.legs:
            ref = self.universe.pool(leg.pool)
            model = ref.model
            assert isinstance(model, Pool) and model.token0 is not None and model.token1 is not None
            key = leg.pool.lower()
            if key not in inventory_cache:
                inventory_cache[key] = self.executor.balances((model.token0, model.token1))
            inv = inventory_cache[key]
            plan = self.planner.plan(
                model,
                leg,
                (inv[0], inv[1]),
                gas_price_wei=self.gas_price_wei,
                eth_price=None if _holds_weth(model) else eth_price(self.universe, model.token1),
                break_even=False,
            )
            if best is None or (plan.execute and (not best.execute or plan.net > best.net)):
                best = plan
        assert best is not None
        ref = self.universe.pool(best.pool)
        leg = swap.leg_on(best.pool)
        assert leg is not None
        token = self.symbols.get(
            leg.token_in.lower() if leg.amount_specified > 0 else leg.token_out.lower(), "?"
        )
        if best.execute:
            self.summary.planned += 1
        decision = "planned" if best.execute else "skip"
        row = Row(
            block,
            swap.tx_hash,
            swap.sender,
            ref.name,
            swap.via,
            abs(leg.amount_specified),
            token,
            decision,
            best.reason,
            plan=best,
        )
        return row, best

    def _choose(
        self, profitable: list[tuple[Fraction, int, JitPlan, bytes]]
    ) -> list[tuple[Fraction, int, JitPlan, bytes]]:
        """The most valuable plans, one per pool, whose mints the inventory still covers if every bundle
        before them in the block loses what its plan says it may (bundles run one after another)."""
        chosen: list[tuple[Fraction, int, JitPlan, bytes]] = []
        spent: Counter[str] = Counter()
        pools: set[str] = set()
        balances: dict[str, int] = {}
        for item in sorted(profitable, key=lambda x: -x[0]):
            plan = item[2]
            o = plan.outcome
            assert o is not None
            if plan.pool.lower() in pools:
                continue
            tokens = (plan.token0.lower(), plan.token1.lower())
            for token in tokens:
                if token not in balances:
                    balances[token] = self.executor.balances((token,))[0]
            if (
                o.mint0 > balances[tokens[0]] - spent[tokens[0]]
                or o.mint1 > balances[tokens[1]] - spent[tokens[1]]
            ):
                continue
            chosen.append(item)
            pools.add(plan.pool.lower())
            spent[tokens[0]] += max(-o.delta0, 0)
            spent[tokens[1]] += max(-o.delta1, 0)
        return chosen

    def _wei_per_token1(self, plan: JitPlan) -> Fraction:
        eth = eth_price(self.universe, plan.token1)
        return 1 / eth if eth else Fraction(0)

    def _book(self, row: Row, plan: JitPlan, bundle: BundleResult) -> Row:
        """Record a mined bundle from what the chain says it did."""
        s = self.summary
        s.executed += 1
        fee0, fee1 = bundle.fees
        s.fees[plan.token0] += fee0
        s.fees[plan.token1] += fee1
        s.deltas[plan.token0] += bundle.delta[0]
        s.deltas[plan.token1] += bundle.delta[1]
        s.gas_wei += bundle.gas_cost_wei
        price = spot_price(bundle.sqrt_price_after)
        value1 = bundle.delta[0] * price + bundle.delta[1]
        eth = plan.token1.lower() == mainnet.WETH.lower()
        per_wei = Fraction(1) if eth else (price if plan.token0.lower() == mainnet.WETH.lower() else None)
        if per_wei is None:
            per_wei = eth_price(self.universe, plan.token1) or Fraction(0)
        value_wei = value1 / per_wei if per_wei else Fraction(0)
        pnl = value_wei - bundle.gas_cost_wei
        s.pnl_wei += pnl
        reason = (
            "executed"
            if bundle.victim_ok
            else "victim_failed"
            if bundle.victim_ok is False
            else "victim_missing"
        )
        fee = fee0 if plan.swap.zero_for_one else fee1
        return Row(
            **{
                **row.__dict__,
                "decision": "executed",
                "reason": reason,
                "fee": fee,
                "pnl_wei": pnl,
                "bundle": bundle,
            }
        )

    def close(self) -> None:
        with contextlib.suppress(RpcError):
            self.node.rpc.call("eth_uninstallFilter", [self._filter])
