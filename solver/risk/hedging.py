"""Hedging: when a token's inventory leaves its band, trade it back toward target through the router.

`Hedger.plan(balances, policies, fair_values)` looks at every token but the numeraire and, for each one
outside its `TokenPolicy` band, sizes a hedge by the user's `HedgeRule`:

- `threshold` (the default): one hedge as soon as the balance leaves its band, back to `target`
  (`to = "target"`, the default: a full reset, fewer hedges) or only back to the band's edge
  (`to = "band_edge"`: the least trading, but the next fill in the same direction triggers another hedge);
- `continuous`: every block the token sits outside its band, hedge `fraction` of its deviation from
  target, so a breach is worked off over several blocks (less price impact per trade, more gas); it stops
  once the balance is back inside the band.

Hedges smaller than `min_value` (numeraire) are not worth their gas and are skipped without halting anything.

A long token is sold for the numeraire (an exact-input route of the excess); a short one is bought back with
an exact-input route of the numeraire worth the deficit at fair value (capped by the numeraire held). Each
route is priced against fair value: `slippage_bps` is how far its output (before gas, which is booked on its
own line) falls short of the input's fair value. A hedge is refused when that exceeds the limit
(`RiskLimits.max_hedge_slippage_bps`); the route's on-chain minimum output is set so the executed price can
never be worse than that limit either (a pool that moved between pricing and execution makes it revert).

When a hedge cannot be done (no route, not enough liquidity, slippage beyond the limit, or a revert),
quoting on the side that would make the position worse stops: `halted_side(token)` is `"buy"` (long and
cannot sell: stop taking more of the token in) or `"sell"` (short and cannot buy back: stop paying it out).
It clears when a later hedge of that token executes, or when the balance is back inside its band (flow may
do the hedge's job).

Execution (`Hedger.execute`, which also keeps the halts) takes either venue:

- a `UniswapXFiller` (`execute_hedge_in_filler`): the filler swaps its own inventory with its owner-only
  `hedge` (`account` is the owner); the output stays in the filler, whose balances are the ones hedged, so
  this is what `Solver.step` does at the end of every block;
- a `RouteExecutor` (`execute_hedge`): the route is sent by an account that holds the tokens (`account`, an
  unlocked EOA: a separate hedging book funded up front).

Either way the on-chain minimum output is the route's `min_amount_out` (the fair-value floor set in
`plan_token`). The result (`HedgeFill`) carries what moved and the gas, and `HedgeFill.record()` is the
ledger's `HedgeRecord` (its own PnL line in `PnlTracker`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from amm.chain.errors import TransactionFailed
from solver.accounting.inventory import NATIVE, TokenPolicy
from solver.accounting.records import HedgeRecord
from solver.risk.limits import RiskConfigError
from solver.routing.errors import InvalidOrder, RoutingError
from solver.routing.executor import RouteExecutor
from solver.routing.route import Route
from solver.routing.router import Router
from solver.routing.universe import Token
from solver.settlement.uniswapx_filler import UniswapXFiller

Side = Literal["buy", "sell"]
RULES = ("threshold", "continuous")
TARGETS = ("target", "band_edge")
BPS = 10_000


@dataclass(frozen=True)
class HedgeRule:
    """How hedges are sized and timed (see the module docstring)."""

    kind: str = "threshold"
    to: str = "target"  # threshold only: "target" or "band_edge"
    fraction: float = 0.25  # continuous only: share of the deviation hedged per block, in (0, 1]
    min_value: float = 0.0  # numeraire: smaller hedges are skipped

    def __post_init__(self) -> None:
        if self.kind not in RULES:
            raise RiskConfigError(f"hedge setting kind is one of {', '.join(RULES)}, got {self.kind!r}")
        if self.to not in TARGETS:
            raise RiskConfigError(f"hedge setting to is one of {', '.join(TARGETS)}, got {self.to!r}")
        if not (isinstance(self.fraction, int | float) and 0 < self.fraction <= 1):
            raise RiskConfigError(f"hedge setting fraction is in (0, 1], got {self.fraction!r}")
        if not (
            isinstance(self.min_value, int | float) and math.isfinite(self.min_value) and self.min_value >= 0
        ):
            raise RiskConfigError(f"hedge setting min_value must be >= 0, got {self.min_value!r}")

    @classmethod
    def from_dict(cls, table: Mapping[str, Any]) -> HedgeRule:
        """A rule from a TOML `[hedging]` table (dashes allowed in keys)."""
        known = {"kind", "to", "fraction", "min_value"}
        values: dict[str, Any] = {}
        for raw_key, value in table.items():
            key = raw_key.replace("-", "_")
            if key not in known:
                raise RiskConfigError(
                    f"unknown hedge setting {raw_key!r} (known: {', '.join(sorted(known))})"
                )
            if value is None:
                continue
            if key in ("fraction", "min_value"):
                try:
                    if isinstance(value, bool):
                        raise ValueError
                    value = float(value)
                except (TypeError, ValueError):
                    raise RiskConfigError(f"hedge setting {key}: {value!r} is not a number") from None
            values[key] = value
        return cls(**values)


@dataclass(frozen=True)
class HedgeOrder:
    """One hedge, priced: `route` sells `route.token_in` exactly for `route.token_out`."""

    token: Token  # the token whose position is hedged
    side: Side  # what the hedge does with `token`
    route: Route
    deviation: int  # balance - target before the hedge, raw units of `token`
    fair_amount_out: int  # the input's worth at fair value, raw units of the output token
    slippage_bps: float  # route output short of fair, bp (negative: better than fair)

    @property
    def amount_in(self) -> int:
        return self.route.amount_in

    @property
    def amount_out(self) -> int:
        return self.route.amount_out


@dataclass(frozen=True)
class HedgeRefusal:
    """A hedge that was needed but could not be done; its token's side is halted."""

    token: Token
    side: Side  # what the hedge would have done with `token`
    amount: int  # raw units of `token` it would have traded
    reason: str

    def record(self, block_number: int) -> HedgeRecord:
        """The ledger's failed-hedge record."""
        return HedgeRecord(block_number, {}, status="failed", reason=self.reason)


@dataclass(frozen=True)
class HedgeFill:
    """An executed hedge: what the account paid and received, and its transaction."""

    order: HedgeOrder
    amount_in: int
    amount_out: int
    gas_used: int
    gas_price: int
    tx_hash: str
    block_number: int
    block_hash: str

    @property
    def flows(self) -> dict[str, int]:
        """The hedging account's signed balance changes by token address (gas excluded)."""
        route = self.order.route
        return {route.token_in.address: -self.amount_in, route.token_out.address: self.amount_out}

    @property
    def gas_cost_wei(self) -> int:
        return self.gas_used * self.gas_price

    def record(self) -> HedgeRecord:
        """The ledger's record of this hedge (booked on the `hedge` and `gas` PnL lines)."""
        return HedgeRecord(
            self.block_number,
            self.flows,
            tx_hash=self.tx_hash,
            block_hash=self.block_hash,
            gas_used=self.gas_used,
            gas_price=self.gas_price,
        )


@dataclass(frozen=True)
class HedgePlan:
    orders: tuple[HedgeOrder, ...] = ()
    refused: tuple[HedgeRefusal, ...] = ()


@dataclass
class Hedger:
    """Plans hedges with `router` against `numeraire`, refusing any beyond `max_slippage_bps` of fair value,
    and keeps which tokens' sides are halted."""

    router: Router
    numeraire: str = "USDC"
    rule: HedgeRule = field(default_factory=HedgeRule)
    max_slippage_bps: float = 50.0
    gas_price_wei: int = 0
    _halted: dict[str, tuple[Side, str]] = field(default_factory=dict)  # lower-case address -> side, reason

    # -- halts ---------------------------------------------------------------------------------------
    def halted_side(self, token: str) -> Side | None:
        """The quoting side stopped for `token` (symbol or address): "buy", "sell", or None."""
        entry = self._halted.get(self._token(token).address.lower())
        return entry[0] if entry else None

    def halts(self) -> dict[str, tuple[Side, str]]:
        """Every halt: lower-case token address -> (quoting side stopped, why)."""
        return dict(self._halted)

    def halt_reason(self, token: str) -> str | None:
        entry = self._halted.get(self._token(token).address.lower())
        return entry[1] if entry else None

    def _halt(self, refusal: HedgeRefusal) -> HedgeRefusal:
        quoting_side: Side = "buy" if refusal.side == "sell" else "sell"
        self._halted[refusal.token.address.lower()] = (quoting_side, refusal.reason)
        return refusal

    # -- planning ----------------------------------------------------------------------------------
    def plan(
        self,
        balances: Mapping[str, int],
        policies: Mapping[str, TokenPolicy],
        fair_values: Mapping[str, float | Decimal],
    ) -> HedgePlan:
        """Hedges for every token with a policy. Keys are token addresses or symbols; `fair_values` are
        numeraire per whole token (a `FairValue.prices()` dict works)."""
        held = {a: v for k, v in balances.items() if (a := self._address(k))}
        fair = {a: float(v) for k, v in fair_values.items() if (a := self._address(k))}
        orders: list[HedgeOrder] = []
        refused: list[HedgeRefusal] = []
        for key, policy in policies.items():
            if key == NATIVE:  # ETH pays gas: not hedged
                continue
            result = self.plan_token(key, held, policy, fair)
            if isinstance(result, HedgeOrder):
                orders.append(result)
            elif isinstance(result, HedgeRefusal):
                refused.append(result)
        return HedgePlan(tuple(orders), tuple(refused))

    def plan_token(
        self, token: str, balances: Mapping[str, int], policy: TokenPolicy, fair: Mapping[str, float]
    ) -> HedgeOrder | HedgeRefusal | None:
        """The hedge of one token (balances and fair values by lower-case address), or None when none is
        due."""
        t, numeraire = self._token(token), self._token(self.numeraire)
        if t.address.lower() == numeraire.address.lower():
            return None
        deviation = balances.get(t.address.lower(), 0) - policy.target
        if abs(deviation) <= policy.band:
            self._halted.pop(t.address.lower(), None)  # back inside its band: nothing left to hedge
            return None
        size = self._size(abs(deviation), policy.band)
        side: Side = "sell" if deviation > 0 else "buy"
        price, unit = fair.get(t.address.lower()), fair.get(numeraire.address.lower(), 1.0)
        if not price or not unit:
            return self._halt(HedgeRefusal(t, side, size, f"no fair value for {t.symbol}"))
        value = size / 10**t.decimals * price  # numeraire
        if value < self.rule.min_value:
            return None
        if side == "sell":
            sell, buy, amount_in = t, numeraire, size
            fair_out = int(value / unit * 10**numeraire.decimals)
        else:
            sell, buy = numeraire, t
            amount_in = int(value / unit * 10**numeraire.decimals)
            available = balances.get(numeraire.address.lower(), 0)
            if available <= 0:
                return self._halt(
                    HedgeRefusal(t, side, size, f"no {numeraire.symbol} to buy {t.symbol} back")
                )
            if amount_in > available:
                size = size * available // amount_in
                amount_in = available
            fair_out = size
        try:
            route = self.router.route(
                sell.address, buy.address, amount_in, gas_price_wei=self.gas_price_wei, slippage_bps=0
            )
        except InvalidOrder:  # too small to trade (dust): nothing worth hedging, nothing to halt
            return None
        except RoutingError as e:
            return self._halt(HedgeRefusal(t, side, size, f"{type(e).__name__}: {e}"))
        slippage = (fair_out - route.amount_out) / fair_out * BPS if fair_out > 0 else math.inf
        if slippage > self.max_slippage_bps:
            return self._halt(
                HedgeRefusal(
                    t,
                    side,
                    size,
                    f"slippage {slippage:.1f} bp vs fair value exceeds the limit of "
                    f"{self.max_slippage_bps:g} bp",
                )
            )
        # On-chain minimum: never worse than fair by more than the limit, whatever the pools do meanwhile.
        floor = math.ceil(fair_out * (BPS - self.max_slippage_bps) / BPS)
        headroom = max(0, (route.amount_out - floor) * BPS // route.amount_out)
        route = replace(route, slippage_bps=int(min(headroom, BPS - 1)))
        return HedgeOrder(t, side, route, deviation, fair_out, slippage)

    def _size(self, deviation: int, band: int) -> int:
        if self.rule.kind == "continuous":
            return max(1, int(deviation * self.rule.fraction))
        return deviation if self.rule.to == "target" else deviation - band

    def _token(self, name: str) -> Token:
        return self.router.universe.token(name)

    def _address(self, name: str) -> str | None:
        """A balance's or price's token as a lower-case address; None for tokens the router cannot trade
        (ETH under the zero address, prices of tokens outside the universe)."""
        try:
            return self._token(name).address.lower()
        except RoutingError:
            return None

    # -- execution ---------------------------------------------------------------------------------
    def execute(
        self, hedge: HedgeOrder, executor: RouteExecutor | UniswapXFiller, *, account: str
    ) -> HedgeFill | HedgeRefusal:
        """Execute `hedge` through a `RouteExecutor` from `account`, or through a `UniswapXFiller` on its own
        inventory (`account`: the filler's owner); a revert (or a simulation that would revert) halts the
        token's side and comes back as a refusal, a success lifts any halt on the token."""
        try:
            if isinstance(executor, UniswapXFiller):
                fill = execute_hedge_in_filler(executor, hedge, owner=account)
            else:
                fill = execute_hedge(executor, hedge, account=account)
        except TransactionFailed as e:
            amount = hedge.amount_in if hedge.side == "sell" else hedge.amount_out
            return self._halt(HedgeRefusal(hedge.token, hedge.side, amount, f"reverted: {e}"))
        self._halted.pop(hedge.token.address.lower(), None)
        return fill


def execute_hedge(
    executor: RouteExecutor, hedge: HedgeOrder, *, account: str, deadline: int | None = None
) -> HedgeFill:
    """Send the hedge's route through `executor` from `account` (an unlocked EOA holding the input; it
    approves the executor for exactly the input first). Raises TransactionFailed on a revert."""
    done = executor.execute(hedge.route, sender=account, deadline=deadline)
    receipt = done.receipt
    return HedgeFill(
        order=hedge,
        amount_in=done.amount_in,
        amount_out=done.amount_out,
        gas_used=done.gas_used,
        gas_price=int(receipt.get("effectiveGasPrice", "0x0"), 16),
        tx_hash=done.tx_hash,
        block_number=int(receipt["blockNumber"], 16),
        block_hash=receipt["blockHash"],
    )


def execute_hedge_in_filler(
    filler: UniswapXFiller, hedge: HedgeOrder, *, owner: str, gas_price: int | None = None
) -> HedgeFill:
    """Swap the filler's own inventory along the hedge's route with its `hedge` entry point, sent by `owner`
    (simulated first; the output must reach the route's `min_amount_out`, the fair-value floor). Raises
    TransactionFailed on a revert, e.g. `HedgeSlippage(amountOut, minAmountOut)`."""
    route = hedge.route
    done = filler.hedge(route, sender=owner, min_amount_out=route.min_amount_out, gas_price=gas_price)
    receipt = done.receipt
    return HedgeFill(
        order=hedge,
        amount_in=done.amount_in,
        amount_out=done.amount_out,
        gas_used=done.gas_used,
        gas_price=int(receipt.get("effectiveGasPrice", "0x0"), 16),
        tx_hash=receipt["transactionHash"],
        block_number=int(receipt["blockNumber"], 16),
        block_hash=receipt["blockHash"],
    )
