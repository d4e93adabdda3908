"""The solver engine behind `POST /solve`: an auction in, a `{"solutions": [...]}` answer out.

Orders are grouped by token pair and solved at uniform prices (`solve`): through the auction's own
liquidity when it sends any (exact math per kind, `liquidity` interactions the driver encodes), otherwise
through our pools, read from the chain for each auction (custom interactions: transfers and swaps the
settlement makes itself). The deadline is honoured: pairs are solved one after another until a margin
before it, and what is solved by then is answered.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from amm.chain.node import Node
from solver.intents.cow.api import Auction, AuctionError, parse_auction, solution_json
from solver.intents.cow.auction_routing import AuctionRouter
from solver.intents.cow.liquidity import MalformedLiquidity, parse_liquidity
from solver.intents.cow.solve import solve
from solver.routing.router import Router
from solver.routing.universe import Universe

DEADLINE_MARGIN_SECONDS = 0.5  # answer this long before the deadline: the driver still has to receive it


class CowEngine:
    """Solves auctions for one chain: `node` and `universe` give our own pools (refreshed per auction)."""

    def __init__(
        self,
        *,
        chain_id: int,
        node: Node | None = None,
        universe: Universe | None = None,
        slippage_bps: int = 10,
        margin_seconds: float = DEADLINE_MARGIN_SECONDS,
    ) -> None:
        self.chain_id = chain_id
        self.node = node
        self.universe = universe
        self.slippage_bps = slippage_bps
        self.margin_seconds = margin_seconds
        self.last_auction: Auction | None = None

    def solve(self, body: Any) -> dict[str, Any]:
        """The answer to one `/solve` request body; raises AuctionError (HTTP 400) for a malformed one."""
        auction = parse_auction(body, chain_id=self.chain_id)
        self.last_auction = auction
        try:
            liquidity = parse_liquidity(auction.liquidity)
        except MalformedLiquidity as e:
            raise AuctionError(str(e)) from None
        stop_at = auction.deadline.timestamp() - self.margin_seconds
        if time.time() >= stop_at or not auction.orders:
            return {"solutions": []}
        router: Router | AuctionRouter
        if liquidity:
            prices = {t: info.reference_price for t, info in auction.tokens.items() if info.reference_price}
            router = AuctionRouter(liquidity, prices)
        elif self.universe is not None:
            if self.node is not None:
                self.universe.refresh(self.node)
            router = Router(self.universe)
        else:
            return {"solutions": []}  # no liquidity given and no chain to read pools from
        pairs = solve(
            [o.candidate for o in auction.orders],
            router,
            deadline=self._swap_deadline(),
            gas_price_wei=auction.effective_gas_price,
            slippage_bps=self.slippage_bps,
            should_stop=lambda: time.time() >= stop_at,
        )
        classes = {o.signed.uid: o.order_class for o in auction.orders}
        return {"solutions": [solution_json(i, p.settlement, classes) for i, p in enumerate(pairs)]}

    def _swap_deadline(self) -> int:
        """The deadline put in router swaps: ten minutes past the chain's (or the wall clock's) now."""
        if self.node is not None:
            return int(self.node.block("latest")["timestamp"], 16) + 600
        return int(datetime.now(UTC).timestamp()) + 600
