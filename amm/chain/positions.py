"""Read a v3 LP position and its history: an NFT of the NonfungiblePositionManager, or a pool position.

The ledger comes from logs: every deposit (IncreaseLiquidity / Mint), withdrawal of principal
(DecreaseLiquidity / Burn) and collect, with its block, so fees earned, IL against HODL and LVR to date can
be computed from what actually happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_abi import encode
from eth_abi.packed import encode_packed
from eth_utils import keccak, to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain.errors import ChainError, RpcError
from amm.chain.logs import decode_logs, fetch_logs
from amm.chain.node import Node
from amm.v3.position import PositionInfo


@dataclass(frozen=True)
class LedgerEntry:
    block: int
    timestamp: int
    kind: str  # "deposit", "withdraw" (principal moved to tokensOwed) or "collect"
    liquidity: int  # change in the position's liquidity (0 for collect)
    amount0: int
    amount1: int


@dataclass(frozen=True)
class PositionRecord:
    """A position as the chain holds it at `block`, and its ledger from logs."""

    pool: str
    owner: str  # the NFT's owner, or the pool position's owner
    token_id: int | None
    tick_lower: int
    tick_upper: int
    info: PositionInfo  # NFT: the manager's own accounting; pool position: the pool's
    block: int
    ledger: list[LedgerEntry] = field(default_factory=list)

    @property
    def first_block(self) -> int:
        return self.ledger[0].block if self.ledger else self.block

    def totals(self) -> dict[str, int]:
        sums = {f"{k}{i}": 0 for k in ("deposited", "withdrawn", "collected") for i in (0, 1)}
        for entry in self.ledger:
            key = {"deposit": "deposited", "withdraw": "withdrawn", "collect": "collected"}[entry.kind]
            sums[f"{key}0"] += entry.amount0
            sums[f"{key}1"] += entry.amount1
        return sums


def _topic_int(value: int, kind: str = "uint256") -> str:
    return "0x" + encode([kind], [value]).hex()


def _topic_address(address: str) -> str:
    return "0x" + encode(["address"], [address]).hex()


LOG_SCAN_BLOCKS = 500_000  # below this many blocks, scan logs from genesis instead of searching state


def find_first_block(node: Node, to: str, data: bytes, latest: int) -> int:
    """The first block at which an eth_call succeeds (e.g. the NFT exists): binary search over history.

    Needs historical state (an archive node, or a fork of one); a node without it says so in one line."""
    lo, hi = 0, latest
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            node.call(to, data, block=mid)
        except RpcError as err:
            if err.revert_reason is None:
                raise ChainError(
                    f"the node has no state at block {mid} ({err.rpc_message}); pass --since-block"
                ) from None
            lo = mid + 1
        else:
            hi = mid
    return lo


def read_nft_position(
    node: Node, token_id: int, block: int | str = "latest", *, since_block: int | None = None
) -> PositionRecord:
    """An NFT of the NonfungiblePositionManager at its mainnet address, with its ledger (from `since_block`,
    default: the NFT's first block, found from the logs or by searching historical state)."""
    npm = node.contract("NonfungiblePositionManager", mainnet.NONFUNGIBLE_POSITION_MANAGER)
    number = block if isinstance(block, int) else int(node.block(block)["number"], 16)
    try:
        raw = npm.call("positions", token_id, block=number)
        owner = npm.call("ownerOf", token_id, block=number)
    except ChainError:
        raise ChainError(f"no position NFT #{token_id} at block {number} (burned, or never minted)") from None
    _, _, token0, token1, fee, lower, upper, liquidity, inside0, inside1, owed0, owed1 = raw
    factory = node.contract("UniswapV3Factory", mainnet.V3_FACTORY)
    pool = factory.call("getPool", token0, token1, fee, block=number)
    info = PositionInfo(liquidity, inside0, inside1, owed0, owed1)
    if since_block is not None:
        start = since_block
    elif number <= LOG_SCAN_BLOCKS:
        start = 0
    else:
        start = find_first_block(node, npm.address, npm.interface.encode("positions", token_id), number)
    logs = fetch_logs(node, npm.address, start, number, topics=[None, _topic_int(token_id)])
    entries = []
    for log in decode_logs(node, npm.interface, logs):
        args = log.args
        if log.event == "IncreaseLiquidity":
            entries.append(
                LedgerEntry(
                    log.block_number,
                    log.timestamp or 0,
                    "deposit",
                    args["liquidity"],
                    args["amount0"],
                    args["amount1"],
                )
            )
        elif log.event == "DecreaseLiquidity":
            entries.append(
                LedgerEntry(
                    log.block_number,
                    log.timestamp or 0,
                    "withdraw",
                    -args["liquidity"],
                    args["amount0"],
                    args["amount1"],
                )
            )
        elif log.event == "Collect":
            entries.append(
                LedgerEntry(
                    log.block_number, log.timestamp or 0, "collect", 0, args["amount0"], args["amount1"]
                )
            )
    return PositionRecord(
        to_checksum_address(pool), to_checksum_address(owner), token_id, lower, upper, info, number, entries
    )


def pool_position_key(owner: str, tick_lower: int, tick_upper: int) -> bytes:
    """PositionKey.compute of v3-periphery: keccak256(abi.encodePacked(owner, tickLower, tickUpper))."""
    return keccak(encode_packed(["address", "int24", "int24"], [owner, tick_lower, tick_upper]))


def read_pool_position(
    node: Node,
    pool: str,
    owner: str,
    tick_lower: int,
    tick_upper: int,
    block: int | str = "latest",
    *,
    since_block: int = 0,
) -> PositionRecord:
    """A position held directly in a pool by `owner` (a contract such as a vault or a JIT bot)."""
    contract = node.contract("UniswapV3Pool", pool)
    number = block if isinstance(block, int) else int(node.block(block)["number"], 16)
    raw = contract.call("positions", pool_position_key(owner, tick_lower, tick_upper), block=number)
    info = PositionInfo(*raw)
    topics = [_topic_address(owner), _topic_int(tick_lower, "int24"), _topic_int(tick_upper, "int24")]
    iface = contract.interface
    entries = []
    for name in ("Mint", "Burn", "Collect"):  # each indexes owner, tickLower, tickUpper as topics 1-3
        logs = fetch_logs(
            node, pool, since_block, number, topics=["0x" + iface.event(name).topic.hex(), *topics]
        )
        kind = {"Mint": "deposit", "Burn": "withdraw", "Collect": "collect"}[name]
        for log in decode_logs(node, iface, logs):
            args = log.args
            delta = {"Mint": args.get("amount", 0), "Burn": -args.get("amount", 0)}.get(name, 0)
            entry = LedgerEntry(
                log.block_number, log.timestamp or 0, kind, delta, args["amount0"], args["amount1"]
            )
            entries.append(entry)
    entries.sort(key=lambda e: e.block)
    if info.liquidity == 0 and not entries:
        raise ChainError(f"{owner} has no position {tick_lower}:{tick_upper} in pool {pool}")
    return PositionRecord(
        to_checksum_address(pool),
        to_checksum_address(owner),
        None,
        tick_lower,
        tick_upper,
        info,
        number,
        entries,
    )
