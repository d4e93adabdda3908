"""The LVR figures an LP asks for, from the closed forms: for a full-range or concentrated position.

Frictionless LVR (Milionis, Moallemi, Roughgarden, Zhang 2022): ℓ = (σ²P²/2)|x*'(P)|, which is σ²/8 of the
pool value per year at full range and (L σ²/4)√P inside a v3 range. With fees and discrete blocks
(Milionis, Moallemi, Roughgarden 2023): the chance an arbitrageur trades in a block, what arbitrage takes
net of fees, and the share of LVR that fees recover.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from amm.analytics.lvr import arbitrage_with_fees, lvr_rate_v3
from amm.analytics.position import amounts, liquidity_for_value, value

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class LvrFigures:
    price: float
    sigma: float
    lower: float  # 0 and inf for full range
    upper: float
    capital: float  # position value at `price`, in the quote token
    liquidity: float  # human units
    amount_base: float
    amount_quote: float
    in_range: bool
    lvr_per_year: float  # quote per year, frictionless
    lvr_per_day: float
    lvr_fraction_per_year: float  # of the position's value
    fee: float | None = None
    block_time: float | None = None
    p_trade: float | None = None  # probability an arbitrageur trades in a block
    arb_per_year: float | None = None  # what arbitrage takes net of fees (the LP's loss vs rebalancing)
    fees_per_year: float | None = None  # fee income paid by arbitrageurs
    fee_recovery: float | None = None  # fees_per_year / lvr_per_year

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()
        }


def lvr_figures(
    *,
    price: float,
    sigma: float,
    capital: float = 10_000.0,
    lower: float = 0.0,
    upper: float = math.inf,
    fee: float | None = None,
    block_time: float = 12.0,
) -> LvrFigures:
    """LVR of a position worth `capital` (quote) at `price`, between `lower` and `upper` (display prices)."""
    if price <= 0 or sigma < 0 or capital <= 0:
        raise ValueError("price and capital must be > 0 and the volatility >= 0")
    if not 0 <= lower < upper:
        raise ValueError(f"need 0 <= lower < upper, got {lower:g}-{upper:g}")
    liquidity = float(liquidity_for_value(capital, price, lower, upper))
    base, quote = (float(a) for a in amounts(price, liquidity, lower, upper))
    rate = float(lvr_rate_v3(sigma, price, liquidity, lower, upper))
    worth = float(value(price, liquidity, lower, upper))
    figures = dict(
        price=price,
        sigma=sigma,
        lower=lower,
        upper=upper,
        capital=worth,
        liquidity=liquidity,
        amount_base=base,
        amount_quote=quote,
        in_range=lower <= price < upper,
        lvr_per_year=rate,
        lvr_per_day=rate / DAYS_PER_YEAR,
        lvr_fraction_per_year=rate / worth,
    )
    if fee is not None and rate > 0:
        arb = arbitrage_with_fees(sigma, fee, block_time, liquidity, price)
        figures.update(
            fee=fee,
            block_time=block_time,
            p_trade=arb.p_trade,
            arb_per_year=arb.arb_rate,
            fees_per_year=arb.fee_rate,
            fee_recovery=arb.fee_recovery,
        )
    elif fee is not None:
        figures.update(fee=fee, block_time=block_time)
    return LvrFigures(**figures)  # type: ignore[arg-type]
