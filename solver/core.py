"""`Solver`: the market-making pipeline a bot steps block by block.

flow -> pricing -> decision -> settlement -> accounting, with risk beside it: `submit` takes incoming orders
(recorded in the run's ledger at once), `step` refreshes the pools, fair value and the filler's inventory,
screens every open order against the chain in one batch, decides each (inventory, route, split, batch or skip
with a reason), and for each fill writes `sending` to the ledger *before* the transaction goes out, fills
through the filler contract, and books the result; then, with a `Hedger`, it hedges the filler's inventory
back toward its bands (the filler swaps its own tokens) and books each hedge; then it marks the inventory to
fair value for the PnL path. A token whose hedge could not be done halts the side that would add to it: such
orders are skipped with `risk_limit:hedge_halted` until a hedge executes or flow brings it back in band.
The chain is the source of truth for balances; the ledger is the source of truth for order status, so a new
`Solver` on the same run directory resumes where the last one stopped: `open_solver` reuses the run's filler
(no second deployment or funding), and on start and at the beginning of every step `reconcile` settles the
orders a crash or a reorg left pending and drops the fills a reorg took out (`solver.reconcile`), booking
both in the PnL so the chain's balances and the attribution keep agreeing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from amm.chain.errors import ChainError, TransactionFailed
from amm.chain.node import Node
from amm.chain.tokens import deal
from solver.accounting.inventory import Inventory, TokenPolicy
from solver.accounting.ledger import Ledger
from solver.accounting.metrics import summary
from solver.accounting.pnl import BlockPnl, PnlTracker
from solver.accounting.records import Dropped, FillRecord, HedgeRecord, LedgerError, Status
from solver.accounting.surplus import surplus_value, swapper_surplus
from solver.decision import Decision, RiskLimits, decide
from solver.decision.types import SKIP
from solver.flow.incoming import IncomingOrder, receive
from solver.intents.uniswapx import Order, ResolvedOrder, check_many
from solver.pricing import Pricing
from solver.reconcile import Reconciled, Reconciler, fingerprint
from solver.risk.hedging import HedgeFill, Hedger, HedgeRefusal, HedgeRule
from solver.risk.kill import KillSwitch
from solver.risk.limits import RISK_LIMIT
from solver.routing.router import Router
from solver.routing.universe import Universe
from solver.settlement.uniswapx import FillError, FillResult, fill, resolve_for_next_block
from solver.settlement.uniswapx_filler import UniswapXFiller

RETRYABLE_SKIPS = ("no_edge", "below_limit", "no_inventory", "risk_limit")  # a decaying order may come good
HEDGE_HALTED = f"{RISK_LIMIT}:hedge_halted"


@dataclass(frozen=True)
class StepReport:
    """What one step did: the block it decided for, every decision, the fills mined and those that failed."""

    block: int
    timestamp: int
    decisions: tuple[Decision, ...]
    fills: tuple[FillResult, ...]
    failed: tuple[tuple[str, str], ...]  # (order hash, reason)
    pnl: BlockPnl | None
    hedges: tuple[HedgeFill | HedgeRefusal, ...] = ()  # hedges executed, and those refused or reverted
    reconciled: Reconciled | None = None  # what the reconciliation at the start of the step found
    surplus: Mapping[str, Decimal] = field(default_factory=dict)  # per filled order: the swapper's, numeraire


@dataclass
class Solver:
    """The pipeline around one filler contract; `owner` sends its transactions."""

    node: Node
    filler: UniswapXFiller
    owner: str
    ledger: Ledger
    universe: Universe
    pricing: Pricing
    inventory: Inventory
    policies: Mapping[str, TokenPolicy] = field(default_factory=dict)
    limits: RiskLimits | None = None
    kill: KillSwitch | None = None
    gas_price_wei: int | None = None  # None: the node's eth_gasPrice each step
    slippage_bps: int = 50
    pnl: PnlTracker | None = None
    hedger: Hedger | None = None  # None: no hedging
    reorg_depth: int = 64  # how many blocks back the fills' block hashes are checked each step
    _orders: dict[str, tuple[Order, bytes]] = field(default_factory=dict)
    _router: Router | None = None  # one per run: its caches follow the universe's version
    _unbooked: list[Reconciled] = field(default_factory=list)  # reconciled, not yet in the PnL
    _last_mark: int | None = None

    def _router_for_universe(self) -> Router:
        """The run's Router, rebuilt only if the universe object was replaced (a refresh keeps it)."""
        if self._router is None or self._router.universe is not self.universe:
            self._router = Router(self.universe)
        return self._router

    def __post_init__(self) -> None:
        if self.pnl is None:
            decimals = {t.address: t.decimals for t in self.inventory.tokens}
            gas_token = self.universe.token("WETH").address
            self.pnl = PnlTracker.resume(self.ledger, decimals, gas_token)
        marks = self.ledger.marks()
        self._last_mark = marks[-1].block if marks else None
        self._book_unmarked()
        self.reconcile()
        self._reload_open_orders()

    # -- faults -------------------------------------------------------------------------------------------
    def _book_unmarked(self) -> None:
        """After a crash mid-step: fills and hedges the ledger recorded after its last PnL mark, and that have
        no PnL line, are booked at the next mark (the chain's balances already hold them)."""
        since = None if self._last_mark is None else self._last_mark + 1
        fills = [f for f in self.ledger.fills(since_block=since) if not self._booked(f.tx_hash)]
        hedges = [
            h
            for h in self.ledger.hedges()
            if h.status == "mined"
            and (since is None or h.block_number >= since)
            and not self._booked(h.tx_hash)
        ]
        if fills or hedges:
            self._unbooked.append(Reconciled(fills=tuple(fills), hedges=tuple(hedges)))

    def _booked(self, tx_hash: str | None) -> bool:
        return bool(tx_hash) and any(self.ledger.pnl_attribution(tx_hash=tx_hash).values())

    def reconcile(self) -> Reconciled:
        """Check the chain against the ledger: fills of the last `reorg_depth` blocks whose block is gone are
        dropped, and every order left `sending`, `sent` or `dropped` is settled (filled, reverted, released to
        be decided afresh, or left waiting on a transaction in flight). Runs on start and at the start of
        every `step`; what it finds is booked in the PnL at the next mark."""
        found = Reconciler(self.node, self.ledger, self.filler.address, self.owner, self.reorg_depth).run()
        if found.changed:
            self._unbooked.append(found)
        closed = (*found.dropped.order_hashes, *found.filled, *(h for h, _ in found.reverted), *found.spent)
        for h in closed:  # not open until reconciled (dropped), or never again
            self._orders.pop(h, None)
        if found.released:
            self._reload_open_orders()
        return found

    # -- flow ---------------------------------------------------------------------------------------------
    def submit(self, incoming: IncomingOrder) -> Status:
        """Record an incoming order (idempotent by hash; malformed ones are kept as skipped, with why)."""
        if incoming.malformed or incoming.order is None:
            key = "0x" + (incoming.encoded[:32] or b"\0").hex().ljust(64, "0")
            status = self._record(key, incoming, swapper="")
            if status == Status.NEW:
                self.ledger.mark_skipped(key, f"rejected:malformed ({incoming.error})")
                return Status.SKIPPED
            return status
        order = incoming.order
        status = self._record(order.hash, incoming, swapper=order.info.swapper)
        if status in (Status.NEW, Status.SKIPPED):
            self._orders[order.hash] = (order, incoming.signature)
        return status

    def _record(self, key: str, incoming: IncomingOrder, *, swapper: str) -> Status:
        return self.ledger.record_order(
            key,
            kind=incoming.kind,
            encoded=incoming.encoded,
            signature=incoming.signature,
            swapper=swapper,
            received_block=incoming.received_block,
            received_time=incoming.received_time,
        )

    def _reload_open_orders(self) -> None:
        """After a restart: the open orders come back from the ledger (sent or filled ones never do)."""
        for row in self.ledger.orders():
            if row.status == Status.NEW or (row.status == Status.SKIPPED and _retryable(row.reason)):
                incoming = receive(
                    row.kind,
                    self.node.chain_id,
                    row.encoded,
                    row.signature,
                    received_block=row.received_block,
                    received_time=row.received_time,
                    source="ledger",
                )
                if incoming.order is not None:
                    self._orders[incoming.order.hash] = (incoming.order, incoming.signature)

    # -- one block ----------------------------------------------------------------------------------------
    def step(self) -> StepReport:
        """Reconcile with the chain, decide and settle every open order for the next block, then mark the
        book."""
        reconciled = self.reconcile()
        pending = self.node.block("pending")
        block, timestamp = int(pending["number"], 16), int(pending["timestamp"], 16)
        self.universe.refresh(self.node)
        self.pricing.update(self.universe, block, timestamp)
        self.inventory.refresh()
        gas_price = self.gas_price_wei
        if gas_price is None:
            gas_price = int(self.node.rpc.call("eth_gasPrice"), 16)

        live = {h: pair for h, pair in self._orders.items() if pair[0].info.deadline >= timestamp}
        for expired in set(self._orders) - set(live):
            self._skip(expired, "rejected:expired_deadline")
        decisions: list[Decision] = []
        surplus: dict[str, Decimal] = {}
        fills: list[FillResult] = []
        failed: list[tuple[str, str]] = []
        if live and not self._stopped():
            hashes = list(live)
            rejections = check_many([live[h] for h in hashes], chain=self.node, filler=self.filler.address)
            valid = [h for h, rejected in zip(hashes, rejections, strict=True) if not rejected]
            for h, rejected in zip(hashes, rejections, strict=True):
                if rejected:
                    self._skip(h, f"rejected:{rejected[0].code}")
            resolved = resolve_for_next_block(self.node, [live[h][0] for h in valid], self.filler.address)
            resolved, decisions = self._screen_halted(valid, resolved)
            decisions += decide(
                resolved,
                pricing=self.pricing,
                router=self._router_for_universe(),
                inventory_balances=self.inventory.balances,
                policies=self.policies,
                gas_price_wei=gas_price,
                limits=self.limits,
                slippage_bps=self.slippage_bps,
            )
            for decision in decisions:
                if not decision.fills:
                    for h in decision.hashes:
                        self._skip(h, decision.reason or "skip")
                    continue
                if self._stopped():  # the kill switch: no new fills, in-flight ones have settled
                    break
                outcome = self._settle(decision, surplus)
                if isinstance(outcome, FillResult):
                    fills.append(outcome)
                else:
                    failed += [(h, outcome) for h in decision.hashes]
        hedges = self._hedge(block) if self.hedger is not None and not self._stopped() else []
        records = [h.record() for h in hedges if isinstance(h, HedgeFill)]
        mark = self._mark([self._fill_record(f) for f in fills], records, mined=bool(fills or records))
        return StepReport(
            block,
            timestamp,
            tuple(decisions),
            tuple(fills),
            tuple(failed),
            mark,
            tuple(hedges),
            reconciled,
            surplus,
        )

    # -- hedging ---------------------------------------------------------------------------------------------
    def _screen_halted(
        self, hashes: list[str], resolved: list[ResolvedOrder]
    ) -> tuple[list[ResolvedOrder], list[Decision]]:
        """Split off the orders that would add to a side the hedger halted (taking in more of a token it is
        long and cannot sell, or paying out a token it is short and cannot buy back): skipped with
        `risk_limit:hedge_halted`."""
        halts = self.hedger.halts() if self.hedger is not None else {}
        if not halts:
            return resolved, []
        kept: list[ResolvedOrder] = []
        skipped: list[Decision] = []
        for h, order in zip(hashes, resolved, strict=True):
            why = halted_by(order, halts)
            if why is None:
                kept.append(order)
            else:
                skipped.append(Decision((h,), SKIP, HEDGE_HALTED, why, orders=(order,)))
        return kept, skipped

    def _hedge(self, block: int) -> list[HedgeFill | HedgeRefusal]:
        """Hedge the filler's inventory (as it stands after this step's fills) back toward its bands through
        the filler itself; book in the ledger every executed hedge, and every refusal that newly halts a side
        (not again each block the side stays halted)."""
        assert self.hedger is not None
        self.inventory.refresh()
        before = self.hedger.halts()
        plan = self.hedger.plan(self.inventory.balances, self.policies, self.pricing.fair_value.prices())
        done: list[HedgeFill | HedgeRefusal] = list(plan.refused)
        for order in plan.orders:
            done.append(self.hedger.execute(order, self.filler, account=self.owner))
        for outcome in done:
            if isinstance(outcome, HedgeFill):
                self.ledger.record_hedge(outcome.record())
            else:
                address = outcome.token.address.lower()
                was, now = before.get(address), self.hedger.halts().get(address)
                if was is None or now is None or was[0] != now[0]:  # a side newly halted (or reversed)
                    self.ledger.record_hedge(outcome.record(block))
        return done

    def _settle(self, decision: Decision, surplus: dict[str, Decimal]) -> FillResult | str:
        """Ledger first, then the transaction: a crash in between leaves the orders `sending`, never lost.
        The swappers' surplus of a mined fill is booked with it and added to `surplus`."""
        mode = decision.plan.mode if decision.plan is not None else "inventory"
        stamp = fingerprint(self.filler.address, mode, decision.hashes, int(time.time()))
        for h in decision.hashes:
            self.ledger.mark_sending(h, stamp)
        signed = [self._orders[h] for h in decision.hashes]
        try:
            result = fill(signed, decision.plan, filler=self.filler, sender=self.owner)
        except (FillError, TransactionFailed, ChainError) as failure:
            reason = str(failure).splitlines()[0][:300]
            mined = isinstance(failure, TransactionFailed) and failure.tx_hash.startswith("0x")
            for h in decision.hashes:
                if mined:  # reverted on chain: final, never retried blindly
                    self.ledger.mark_reverted(h, reason, failure.tx_hash)
                    self._orders.pop(h, None)
                else:  # refused before sending (a simulation on state an earlier fill moved): decide again
                    self.ledger.release(h, f"not sent: {reason}")
            return reason
        surplus_of = self._surplus(result)
        self.ledger.mark_filled(list(decision.hashes), self._fill_record(result), surplus_of)
        surplus.update({h: value for h, (_, value) in surplus_of.items()})
        for h in decision.hashes:
            self._orders.pop(h, None)
        return result

    def _surplus(self, result: FillResult) -> dict[str, tuple[dict[str, int], Decimal]]:
        """Per order of a mined fill: the swapper's surplus over its limits, raw and at this block's fair
        value."""
        out: dict[str, tuple[dict[str, int], Decimal]] = {}
        for filled in result.orders:
            raw = swapper_surplus(self._orders[filled.hash][0], filled)
            out[filled.hash] = (raw, surplus_value(raw, self.pricing.fair_value.value))
        return out

    def _fill_record(self, result: FillResult) -> FillRecord:
        return FillRecord.from_result(result, result.fill.receipt["blockHash"])

    def _skip(self, order_hash: str, reason: str) -> None:
        row = self.ledger.order(order_hash)
        if row is not None and (row.status != Status.SKIPPED or row.reason != reason):
            self.ledger.mark_skipped(order_hash, reason)
        if not _retryable(reason):
            self._orders.pop(order_hash, None)

    def _stopped(self) -> bool:
        return self.kill is not None and self.kill.poll() is not None

    def _mark(
        self, fills: list[FillRecord], hedges: list[HedgeRecord] | None = None, *, mined: bool | None = None
    ) -> BlockPnl | None:
        """Mark the book at the latest block (mining one if this step sent nothing: one mark per block), with
        what reconciliation found since the last mark: fills and hedges found mined, and what a reorg dropped.
        After an `anvil_rollback` the head may sit below the last mark: blocks are mined up past it (a real
        reorg never shortens the chain)."""
        if not (fills if mined is None else mined):
            self.node.mine()
        self.inventory.refresh()
        block = self.inventory.block or self.node.block_number()
        if self._last_mark is not None and block <= self._last_mark:
            self.node.mine(self._last_mark - block + 1)
            self.inventory.refresh()
            block = self.inventory.block or self.node.block_number()
        fair = {t.address: self.pricing.fair_value.price(t) for t in self.inventory.tokens}
        assert self.pnl is not None
        found, self._unbooked = self._unbooked, []
        fills = [*(f for r in found for f in r.fills), *fills]
        hedges = [*(h for r in found for h in r.hedges), *(hedges or ())]
        dropped = Dropped(
            tuple(h for r in found for h in r.dropped.order_hashes),
            tuple(f for r in found for f in r.dropped.fills),
            tuple(h for r in found for h in r.dropped.hedges),
        )
        result = self.pnl.step(block, self.inventory.balances, fair, fills, hedges=hedges, dropped=dropped)
        self._last_mark = block
        return result

    # -- results --------------------------------------------------------------------------------------------
    def summary(self, *, block_time_seconds: float = 12.0) -> dict:
        """The run's figures (orders seen, filled, skipped by reason, internalized share, PnL, Sharpe,
        drawdown) from the ledger."""
        return summary(self.ledger, block_time_seconds=block_time_seconds)


def open_solver(
    node: Node,
    run_dir: str,
    *,
    owner: str,
    funding: Mapping[str, float],
    band_share: float = 0.5,
    limits: RiskLimits | None = None,
    kill: KillSwitch | None = None,
    hedge_rule: HedgeRule | None = None,
    max_hedge_slippage_bps: float | None = None,
    resume: bool = True,
) -> Solver:
    """A Solver on an anvil chain (built-in or fork): deploy a filler owned by `owner`, give it `funding`
    (whole tokens by symbol, written with anvil's storage cheat; on a live node the owner funds it), hold
    each at that target with a band of `band_share` of it and a hard limit of three times it, and open the
    run's ledger in `run_dir`. With `hedge_rule`, the solver hedges the filler's inventory back toward its
    bands at the end of every step, against USDC, refusing hedges beyond `max_hedge_slippage_bps` of fair
    value (default: `limits.max_hedge_slippage_bps`, else 50).

    With `resume` (the default) and a ledger in `run_dir` that already holds a run, that run's filler, owner,
    tokens and policies are reused as its `start_run` recorded them (`funding` and `band_share` are then
    ignored): nothing is deployed or funded again, and the new Solver reconciles the ledger with the chain
    before its first step. Raises LedgerError when the recorded filler is not on this chain (a fresh chain:
    use a new run directory) or `owner` is not its owner. Every open records a run in the ledger."""
    universe = Universe.discover(node)
    ledger = Ledger.open(run_dir)
    previous = _last_run(ledger) if resume else None
    if previous is not None:
        params = previous["params"]
        filler = UniswapXFiller(node, params["filler"])
        if params.get("chain_id") not in (None, node.chain_id) or not node.code(filler.address):
            ledger.close()
            raise LedgerError(
                f"run {previous['id']} in {run_dir} used filler {filler.address} on chain"
                f" {params.get('chain_id')}, which is not on this chain: use a new run directory"
            )
        if str(params["owner"]).lower() != owner.lower():
            ledger.close()
            raise LedgerError(f"run {previous['id']} in {run_dir} is owned by {params['owner']}, not {owner}")
        owner = params["owner"]
        tokens = tuple(universe.token(symbol) for symbol in params["tokens"])
        policies = {
            address: TokenPolicy(int(p[0]), int(p[1]), None if p[2] is None else int(p[2]))
            for address, p in params["policies"].items()
        }
    else:
        filler = UniswapXFiller.deploy(node, owner)
        tokens = tuple(universe.token(symbol) for symbol in funding)
        policies = {}
        for token in tokens:
            target = int(funding[token.symbol] * 10**token.decimals)
            deal(node, token.address, filler.address, target)
            policies[token.address] = TokenPolicy(target, int(target * band_share), 3 * target)
    ledger.start_run(
        {
            "filler": filler.address,
            "owner": owner,
            "chain_id": node.chain_id,
            "tokens": [t.symbol for t in tokens],
            "funding": {t.symbol: str(policies[t.address].target) for t in tokens},  # raw units
            "policies": {
                a: [str(p.target), str(p.band), None if p.hard_limit is None else str(p.hard_limit)]
                for a, p in policies.items()
            },
            "resumed_from": None if previous is None else previous["id"],
        }
    )
    pricing = Pricing.from_config(tokens=universe.tokens.values())
    inventory = Inventory(node, filler.address, tokens, policies)
    hedger = None
    if hedge_rule is not None:
        if max_hedge_slippage_bps is None:
            max_hedge_slippage_bps = getattr(limits, "max_hedge_slippage_bps", None) or 50.0
        hedger = Hedger(Router(universe), rule=hedge_rule, max_slippage_bps=float(max_hedge_slippage_bps))
    return Solver(
        node,
        filler,
        owner,
        ledger,
        universe,
        pricing,
        inventory,
        policies,
        limits,
        kill,
        hedger=hedger,
    )


def _last_run(ledger: Ledger) -> dict | None:
    """The latest run recorded with a filler (a run dir written by `open_solver`), or None."""
    for run in reversed(ledger.runs()):
        if isinstance(run["params"], dict) and run["params"].get("filler"):
            return run
    return None


def _retryable(reason: str | None) -> bool:
    return reason is not None and reason.split(":")[0] in RETRYABLE_SKIPS


def halted_by(order: ResolvedOrder, halts: Mapping[str, tuple[str, str]]) -> str | None:
    """Why `order` would add to a halted side (a one-line detail), or None."""
    token = order.input.token.lower()
    if halts.get(token, ("", ""))[0] == "buy":
        return f"buying {order.input.token} is halted: {halts[token][1]}"
    for output in order.outputs:
        token = output.token.lower()
        if halts.get(token, ("", ""))[0] == "sell":
            return f"selling {output.token} is halted: {halts[token][1]}"
    return None
