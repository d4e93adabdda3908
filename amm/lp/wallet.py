"""Every position NFT a wallet has held, open and closed, with fees, IL, LVR and P&L to date (Revert Finance's
view), from the chain's own logs: the position manager's Transfer events to the wallet, then each position's
ledger and the pool's swaps (`amm.lp.position`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.errors import ChainError
from amm.chain.logs import decode_logs, fetch_logs
from amm.chain.node import Node
from amm.chain.positions import read_nft_position
from amm.lp.context import PoolContext, load_pool_context
from amm.lp.history import swap_events
from amm.lp.position import PositionReport, position_report

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class WalletPosition:
    report: PositionReport
    status: str  # "open" (liquidity left), "closed" (all withdrawn), "transferred" (no longer the wallet's)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, **self.report.to_dict()}


def require_position_manager(node: Node, block: int | str = "latest") -> None:
    """A chain without Uniswap v3's NonfungiblePositionManager has no position NFTs: say so in one line
    instead of failing to decode the empty answer of a call to nothing."""
    if not node.code(mainnet.NONFUNGIBLE_POSITION_MANAGER, block):
        raise ChainError(
            f"no NonfungiblePositionManager at {mainnet.NONFUNGIBLE_POSITION_MANAGER} on this chain: "
            "position NFTs need Uniswap v3's periphery (a pool position: --owner, --pool, --lower, --upper)"
        )


def _topic_address(address: str) -> str:
    return "0x" + address.lower().removeprefix("0x").rjust(64, "0")


def wallet_token_ids(node: Node, owner: str, block: int) -> list[int]:
    """Ids of every position NFT ever transferred to `owner` (mints included), in order of first receipt."""
    npm = artifacts.interface("NonfungiblePositionManager")
    topic = "0x" + npm.event("Transfer").topic.hex()
    logs = fetch_logs(
        node, mainnet.NONFUNGIBLE_POSITION_MANAGER, 0, block, topics=[topic, None, _topic_address(owner)]
    )
    seen: dict[int, None] = {}
    for log in decode_logs(node, npm, logs):
        seen.setdefault(int(log.args["tokenId"]), None)
    return list(seen)


def wallet_positions(
    node: Node, owner: str, block: int | str = "latest", *, progress: Progress | None = None
) -> list[WalletPosition]:
    """Reports for every position the wallet has held, valued at each pool's price at `block`."""
    number = block if isinstance(block, int) else int(node.block(block)["number"], 16)
    require_position_manager(node, number)
    ids = wallet_token_ids(node, owner, number)
    contexts: dict[str, PoolContext] = {}
    swaps: dict[str, list[dict[str, int]]] = {}
    out = []
    for done, token_id in enumerate(ids, start=1):
        try:
            record = read_nft_position(node, token_id, number, since_block=0)
        except ChainError:
            continue  # burned: nothing left to value
        if record.pool not in contexts:
            contexts[record.pool] = load_pool_context(node, record.pool, number)
            swaps[record.pool] = swap_events(node, contexts[record.pool], 0, number)
        report = position_report(node, contexts[record.pool], record, swaps[record.pool])
        if record.owner.lower() != owner.lower():
            status = "transferred"
        else:
            status = "open" if record.info.liquidity else "closed"
        out.append(WalletPosition(report, status))
        if progress is not None:
            progress(done, len(ids))
    return out
