"""Inventory-skewed quotes and the expected edge of filling an order from inventory.

Formulas (../shared/references.md, "Inventory-skewed quoting"), written in relative terms so that one
parameter set fits every token (units in `config.py`):

- Avellaneda-Stoikov reservation price  r = s - q·γ·σ²·(T - t). With s in numeraire per token, σ the
  relative (log-return) volatility so that the absolute one is σ·s, q_tokens whole tokens and γ_abs per
  numeraire, this is r = s·(1 - n·γ·σ²·τ) with n = q_tokens·s / unit_size lots and γ = γ_abs·unit_size:
  the skew n·γ·σ²·τ is dimensionless.
- Guéant-Lehalle-Fernandez-Tapia: half-spread c1 + σ·c2/2 and skew σ·c2·n, c1 = (1/γ)·ln(1 + γ/k),
  c2 = sqrt(γ/(2Ak)·(1 + γ/k)^(1 + k/γ)), with k per unit relative distance and A in lots per year, so that
  c1 and σ·c2 are relative distances too.

Quotes are centred on the reservation price (`skew_model` picks the A-S or the GLFT skew) with the GLFT
half-spread either side. The inventory-risk penalty of a fill is the integral of that skew over the inventory
the fill adds: ½·κ·unit_size·(n_after² - n_before²) numeraire, κ the skew per lot, so valuing a fill at fair
value minus the penalty is valuing it at the reservation prices along the way.

Amounts cross this module's boundary as raw integer token units; floats appear only in valuation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from solver.pricing.config import PricingConfig
from solver.pricing.fair_value import FairValue
from solver.pricing.volatility import EwmaVolatility
from solver.routing.universe import Token

BPS = 10_000
_MIN_FACTOR = 1e-9  # a reservation price never reaches zero (the risk stage stops far earlier)


# ----------------------------------------------------------------------------------------- the formulas
def reservation_price(mid: float, q: float, gamma: float, sigma: float, tau: float) -> float:
    """Avellaneda-Stoikov: r = s - q·γ·σ²·(T - t), in whatever consistent units the caller uses."""
    return mid - q * gamma * sigma**2 * tau


def avellaneda_stoikov_spread(gamma: float, sigma: float, tau: float, k: float) -> float:
    """Avellaneda-Stoikov total spread γσ²(T - t) + (2/γ)·ln(1 + γ/k)."""
    return gamma * sigma**2 * tau + 2 / gamma * math.log1p(gamma / k)


def glft_constants(gamma: float, k: float, A: float) -> tuple[float, float]:
    """(c1, c2) of the GLFT asymptotic quotes."""
    ratio = gamma / k
    c1 = math.log1p(ratio) / gamma
    c2 = math.sqrt(gamma / (2 * A * k) * (1 + ratio) ** (1 + k / gamma))
    return c1, c2


def glft_half_spread(gamma: float, k: float, A: float, sigma: float) -> float:
    c1, c2 = glft_constants(gamma, k, A)
    return c1 + sigma * c2 / 2


def glft_skew(gamma: float, k: float, A: float, sigma: float, q: float) -> float:
    _, c2 = glft_constants(gamma, k, A)
    return sigma * c2 * q


# ---------------------------------------------------------------------------------------- domain types
@dataclass(frozen=True)
class LegRisk:
    """One token's side of a quote: its fair value, volatility, inventory in lots and the skew per lot."""

    token: str
    fair: float  # numeraire per whole token
    sigma: float  # per sqrt-year
    lots: float  # n = (held - target) valued at fair value / unit_size
    skew_per_lot: float  # relative price change per lot of inventory (κ)

    @property
    def skew(self) -> float:
        """Relative amount the reservation price sits below fair value (negative when short)."""
        return self.skew_per_lot * self.lots

    @property
    def reservation(self) -> float:
        return self.fair * max(1 - self.skew, _MIN_FACTOR)


@dataclass(frozen=True)
class Quote:
    """Prices at which the market maker buys (`bid`) and sells (`ask`) `base`, in `quote` per whole `base`
    (numeraire per token when `quote` is the numeraire), plus what each fill costs in gas and must earn."""

    base: str
    quote: str
    fair: float  # fair value of base in quote
    reservation: float
    bid: float
    ask: float
    half_spread: float  # relative to the reservation price
    sigma: float  # of the pair, per sqrt-year
    gas: float  # numeraire per fill
    min_edge_bps: float
    legs: tuple[LegRisk, LegRisk]

    @property
    def spread_bps(self) -> float:
        return (self.ask - self.bid) / self.fair * BPS


@dataclass(frozen=True)
class OrderTerms:
    """An order as the filler sees it: the swapper sells `sell_amount` of `sell_token` and must receive at
    least `buy_amount` of `buy_token` (raw units). Filled from inventory, we receive the first and pay the
    second."""

    sell_token: str
    sell_amount: int
    buy_token: str
    buy_amount: int

    def __post_init__(self) -> None:
        for name in ("sell_amount", "buy_amount"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer of raw token units, got {value!r}")


@dataclass(frozen=True)
class Edge:
    """Expected PnL, in the numeraire, of filling an order from inventory."""

    value_received: float  # at fair value
    value_paid: float  # at fair value
    inventory_penalty: float  # change in inventory risk (negative when the fill brings inventory home)
    gas: float
    min_edge: float  # min_edge_bps of the notional

    @property
    def edge(self) -> float:
        return self.value_received - self.value_paid - self.inventory_penalty - self.gas

    @property
    def edge_bps(self) -> float:
        return self.edge / self.value_received * BPS if self.value_received > 0 else -math.inf

    @property
    def worth_filling(self) -> bool:
        return self.edge > 0 and self.edge >= self.min_edge


# ---------------------------------------------------------------------------------------------- quoter
class Quoter:
    """Quotes and order edges from a fair value, a volatility estimate and the inventory's deviations."""

    def __init__(self, config: PricingConfig, fair_value: FairValue, volatility: EwmaVolatility) -> None:
        self.config = config
        self.fair_value = fair_value
        self.volatility = volatility
        self.c1, self.c2 = glft_constants(config.gamma, config.k, config.A)
        self.tau = config.horizon_seconds / (365.25 * 86_400)

    def sigma(self, token: str | Token) -> float:
        """Per sqrt-year; exactly 0 for the numeraire, which cannot move against itself."""
        symbol = self.fair_value.symbol(token)
        if symbol.lower() == self.config.numeraire.lower():
            return 0.0
        return self.volatility.sigma(symbol)

    def skew_per_lot(self, sigma: float) -> float:
        c = self.config
        if c.skew_model == "glft":
            return sigma * self.c2
        return c.gamma * sigma**2 * self.tau

    def lots(self, token: str | Token, deviation: int) -> float:
        """Inventory deviation (raw units, held - target) in lots of `unit_size` numeraire at fair value."""
        return self.fair_value.value(token, deviation) / self.config.unit_size if deviation else 0.0

    def leg(self, token: str | Token, deviation: int = 0) -> LegRisk:
        symbol = self.fair_value.symbol(token)
        sigma = self.sigma(symbol)
        return LegRisk(
            symbol,
            self.fair_value.price(symbol),
            sigma,
            self.lots(symbol, deviation),
            self.skew_per_lot(sigma),
        )

    def gas_cost(self, gas_price_wei: int) -> float:
        """Numeraire cost of one fill: gas units × gas price × ETH's fair value."""
        wei = self.config.gas_units_per_fill * gas_price_wei
        return wei / 10**18 * self.fair_value.price(self.config.gas_token)

    def quote(
        self,
        base: str | Token,
        quote: str | Token | None = None,
        deviations: Mapping[str, int] | None = None,
        gas_price_wei: int = 0,
    ) -> Quote:
        """Bid and ask for `base` in `quote` (the numeraire by default), skewed by both tokens' inventory.

        The pair's volatility is sqrt(σ_base² + σ_quote²) (no correlation assumed: conservative for pairs such
        as WBTC/WETH, exact against the numeraire, whose σ is 0)."""
        deviations = self._by_symbol(deviations)
        base_leg = self.leg(base, deviations.get(self.fair_value.symbol(base), 0))
        quote_token = quote if quote is not None else self.config.numeraire
        quote_leg = self.leg(quote_token, deviations.get(self.fair_value.symbol(quote_token), 0))
        fair = base_leg.fair / quote_leg.fair
        reservation = base_leg.reservation / quote_leg.reservation
        sigma = math.hypot(base_leg.sigma, quote_leg.sigma)
        half_spread = self.c1 + sigma * self.c2 / 2
        return Quote(
            base=base_leg.token,
            quote=quote_leg.token,
            fair=fair,
            reservation=reservation,
            bid=reservation * max(1 - half_spread, 0.0),
            ask=reservation * (1 + half_spread),
            half_spread=half_spread,
            sigma=sigma,
            gas=self.gas_cost(gas_price_wei),
            min_edge_bps=self.config.min_edge_bps,
            legs=(base_leg, quote_leg),
        )

    def amount_at_bid(self, order: OrderTerms, deviations: Mapping[str, int] | None = None) -> int:
        """Raw units of `buy_token` we would pay at our bid for the order's `sell_amount` (rounded down)."""
        q = self.quote(order.sell_token, order.buy_token, deviations)
        sell = self.fair_value.token(order.sell_token)
        buy = self.fair_value.token(order.buy_token)
        whole = order.sell_amount / 10**sell.decimals * q.bid
        return max(math.floor(whole * 10**buy.decimals), 0)

    def inventory_penalty(self, token: str | Token, before: int, change: int) -> float:
        """Numeraire cost of moving one token's deviation from `before` to `before + change` raw units."""
        leg = self.leg(token, before)
        after = self.lots(token, before + change)
        return leg.skew_per_lot * self.config.unit_size * (after**2 - leg.lots**2) / 2

    def edge(
        self, order: OrderTerms, deviations: Mapping[str, int] | None = None, gas_price_wei: int = 0
    ) -> Edge:
        """Expected edge of filling `order` from inventory at its limit: value received at fair value -
        value paid at fair value - inventory-risk penalty - gas. Positive means worth more than nothing;
        `worth_filling` also asks for `min_edge_bps` of the notional."""
        deviations = self._by_symbol(deviations)
        sell = self.fair_value.symbol(order.sell_token)
        buy = self.fair_value.symbol(order.buy_token)
        received = self.fair_value.value(sell, order.sell_amount)
        paid = self.fair_value.value(buy, order.buy_amount)
        if sell == buy:
            penalty = self.inventory_penalty(
                sell, deviations.get(sell, 0), order.sell_amount - order.buy_amount
            )
        else:
            penalty = self.inventory_penalty(sell, deviations.get(sell, 0), order.sell_amount)
            penalty += self.inventory_penalty(buy, deviations.get(buy, 0), -order.buy_amount)
        return Edge(
            value_received=received,
            value_paid=paid,
            inventory_penalty=penalty,
            gas=self.gas_cost(gas_price_wei),
            min_edge=self.config.min_edge_bps / BPS * received,
        )

    def _by_symbol(self, deviations: Mapping[str, int] | None) -> dict[str, int]:
        """Deviations keyed by symbol, whether the caller keyed them by symbol, address or Token."""
        out: dict[str, int] = {}
        for token, amount in (deviations or {}).items():
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise ValueError(
                    f"inventory deviation of {token} must be an integer of raw units, got {amount!r}"
                )
            symbol = self.fair_value.symbol(token)
            out[symbol] = out.get(symbol, 0) + amount
        return out
