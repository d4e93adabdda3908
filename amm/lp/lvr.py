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

from amm.analytics.lvr import arbitrage_simulated, arbitrage_with_fees, lvr_rate_v3
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
    blocks: str = "fixed"  # the block model of the with-fees figures: fixed or poisson
    quote: str = "quote"  # the quote token's symbol, when known
    base: str = "base token"  # the base token's symbol, when known

    def to_dict(self) -> dict[str, Any]:
        out = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()
        }
        q, b = self.quote, self.base
        out["units"] = {
            "price": f"{q} per {b}",
            "lower": f"{q} per {b}",
            "upper": f"{q} per {b}",
            "sigma": "per sqrt(year)",
            "capital": q,
            "amount_quote": q,
            "amount_base": b,
            "liquidity": "sqrt(base x quote), whole tokens",
            "lvr_per_year": f"{q} per year: the in-range instantaneous rate at this price, x 1 year",
            "lvr_per_day": f"{q} per day: the in-range instantaneous rate at this price",
            "lvr_fraction_per_year": "fraction of capital per year (in-range instantaneous)",
            "fee": "fraction",
            "block_time": "seconds (mean, with poisson blocks)",
            "p_trade": "probability per block",
            "arb_per_year": f"{q} per year (in-range instantaneous)",
            "fees_per_year": f"{q} per year (in-range instantaneous)",
            "fee_recovery": "fraction of LVR",
        }
        return out


def lvr_figures(
    *,
    price: float,
    sigma: float,
    capital: float = 10_000.0,
    lower: float = 0.0,
    upper: float = math.inf,
    fee: float | None = None,
    block_time: float = 12.0,
    blocks: str = "fixed",
    quote: str = "quote",
    base: str = "base token",
) -> LvrFigures:
    """LVR of a position worth `capital` (quote) at `price`, between `lower` and `upper` (display prices).

    The rates are instantaneous, at this price while in range (Milionis et al.'s ℓ), quoted per day and per
    year: not an expectation over a year, in which the price may leave the range. With `fee`, the block
    model `blocks` ("poisson": [MMR23]'s closed form; "fixed": the same model simulated) gives what
    arbitrage takes net of fees and what its fees pay the position."""
    if blocks not in ("fixed", "poisson"):
        raise ValueError(f"blocks must be fixed or poisson, not {blocks!r}")
    if price <= 0 or sigma < 0 or capital <= 0:
        raise ValueError("price and capital must be > 0 and the volatility >= 0")
    if not 0 <= lower < upper:
        raise ValueError(f"need 0 <= lower < upper, got {lower:g}-{upper:g}")
    liquidity = float(liquidity_for_value(capital, price, lower, upper))
    held_base, held_quote = (float(a) for a in amounts(price, liquidity, lower, upper))
    rate = float(lvr_rate_v3(sigma, price, liquidity, lower, upper))
    worth = float(value(price, liquidity, lower, upper))
    figures = dict(
        price=price,
        sigma=sigma,
        lower=lower,
        upper=upper,
        capital=worth,
        liquidity=liquidity,
        amount_base=held_base,
        amount_quote=held_quote,
        in_range=lower <= price < upper,
        lvr_per_year=rate,
        lvr_per_day=rate / DAYS_PER_YEAR,
        lvr_fraction_per_year=rate / worth,
        blocks=blocks,
        quote=quote,
        base=base,
    )
    if fee is not None and rate > 0:
        if blocks == "poisson":
            arb = arbitrage_with_fees(sigma, fee, block_time, liquidity, price)
        else:
            arb = arbitrage_simulated(sigma, fee, block_time, liquidity, price, blocks="fixed")
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
