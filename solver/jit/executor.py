"""Our `JitExecutor` contract (contracts/JitExecutor.sol): deploy it, build its calls, read what it holds.

The contract is the position's owner on the pool and holds the inventory: `mint(range, liquidity, max0, max1)`
pays the pool from its balance in the mint callback (only to the pool it is minting on), `burnAll(range)`
burns whatever liquidity it has on the range and collects everything owed back to itself. Only its owner can
call either, or `withdraw`.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.deployed import OwnedContract
from amm.chain.node import Node
from amm.chain.rpc import block_tag

RangeStruct = tuple[str, str, int, int, int]
"""`JitExecutor.Range`: (token0, token1, fee, tickLower, tickUpper)."""

_BALANCE_OF = keccak(text="balanceOf(address)")[:4]


@dataclass(frozen=True)
class PositionState:
    """Our position on a pool as the pool stores it."""

    liquidity: int
    tokens_owed0: int
    tokens_owed1: int

    @property
    def empty(self) -> bool:
        return self.liquidity == 0 and self.tokens_owed0 == 0 and self.tokens_owed1 == 0


class JitExecutor(OwnedContract):
    """A deployed JitExecutor."""

    ARTIFACT = "JitExecutor"

    @classmethod
    def deploy(
        cls,
        node: Node,
        owner: str,
        *,
        deployer: str | None = None,
        v3_factory: str = mainnet.V3_FACTORY,
        v3_init_code_hash: bytes = mainnet.V3_POOL_INIT_CODE_HASH,
    ) -> JitExecutor:
        """Deploy an executor owned by `owner` for the given v3 factory (mainnet's by default)."""
        artifact = artifacts.load("JitExecutor")
        code = artifact.creation_code(owner, v3_factory, v3_init_code_hash)
        return cls(node, node.deploy(deployer or owner, code, what="deploy JitExecutor"))

    # calldata --------------------------------------------------------------------------------------------
    @staticmethod
    def range_of(token0: str, token1: str, fee: int, tick_lower: int, tick_upper: int) -> RangeStruct:
        return (to_checksum_address(token0), to_checksum_address(token1), fee, tick_lower, tick_upper)

    def mint_call(self, rng: RangeStruct, liquidity: int, amount0_max: int, amount1_max: int) -> bytes:
        return self.contract.interface.encode("mint", rng, liquidity, amount0_max, amount1_max)

    def burn_call(self, rng: RangeStruct) -> bytes:
        return self.contract.interface.encode("burnAll", rng)

    def withdraw_call(self, token: str, to: str, amount: int) -> bytes:
        return self.contract.interface.encode("withdraw", token, to, amount)

    # reads -----------------------------------------------------------------------------------------------
    def balances(self, tokens: tuple[str, ...], block: int | str = "latest") -> tuple[int, ...]:
        """The executor's balance of each token at `block`, in one batch."""
        data = "0x" + (_BALANCE_OF + encode(["address"], [self.address])).hex()
        calls = [("eth_call", [{"to": t, "data": data}, block_tag(block)]) for t in tokens]
        return tuple(int(r, 16) for r in self.node.rpc.batch(calls))

    def position(
        self, pool: str, tick_lower: int, tick_upper: int, block: int | str = "latest"
    ) -> PositionState:
        """Our position on `pool` (the pool keys it by owner, lower and upper tick)."""
        key = keccak(
            bytes.fromhex(self.address[2:])
            + tick_lower.to_bytes(3, "big", signed=True)
            + tick_upper.to_bytes(3, "big", signed=True)
        )
        liquidity, _, _, owed0, owed1 = self.node.contract("UniswapV3Pool", pool).call(
            "positions", key, block=block
        )
        return PositionState(liquidity, owed0, owed1)
