"""Balancer V2 on an empty anvil, from the bytecode Balancer published in `@balancer-labs/v2-deployments`
(what its deployment tasks put on mainnet): Authorizer, Vault, the original WeightedPoolFactory (v0 pools),
WeightedPoolFactory v3, StablePoolFactory v2 and ComposableStablePoolFactory v3 (with the
ProtocolFeePercentagesProvider the v3 factories need). Pools are created and initialised through the Vault,
and `query` asks the Vault's `queryBatchSwap` (an eth_call) what a single swap pays: the pools' own answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import encode

from amm.chain import artifacts
from amm.chain.abi import ContractInterface
from amm.chain.anvil import Anvil
from amm.chain.errors import ChainError
from amm.chain.node import Node

TASKS = Path(artifacts.project_root()) / "node_modules/@balancer-labs/v2-deployments/dist/tasks"
MAX_U256 = (1 << 256) - 1
ONE = 10**18
GIVEN_IN, GIVEN_OUT = 0, 1


def available() -> bool:
    return TASKS.is_dir()


def _abi(task: str, name: str) -> ContractInterface:
    """The ABI of `name` in deployment task `task` (artifact/, else abi/)."""
    artifact = TASKS / task / "artifact" / f"{name}.json"
    if artifact.is_file():
        return ContractInterface(json.loads(artifact.read_text())["abi"], name)
    return ContractInterface(json.loads((TASKS / task / "abi" / f"{name}.json").read_text()), name)


def _creation_code(task: str, name: str) -> bytes:
    """The creation code of `name` in deployment task `task` (artifact/, else bytecode/)."""
    artifact = TASKS / task / "artifact" / f"{name}.json"
    if artifact.is_file():
        code = json.loads(artifact.read_text())["bytecode"]
    else:
        code = json.loads((TASKS / task / "bytecode" / f"{name}.json").read_text())["creationCode"]
    return bytes.fromhex(code.removeprefix("0x"))


@dataclass
class BalancerChain:
    node: Node
    deployer: str
    vault: Any
    factories: dict[str, Any]
    pool_ifaces: dict[str, ContractInterface]

    def deploy_token(self, symbol: str, decimals: int) -> str:
        code = artifacts.load("MintableERC20").bytecode + artifacts.interface(
            "MintableERC20"
        ).encode_constructor(symbol, symbol, decimals, self.deployer)
        token = self.node.deploy(self.deployer, code, what=symbol)
        contract = self.node.contract("MintableERC20", token)
        contract.transact("mint", self.deployer, MAX_U256 // 4, sender=self.deployer)
        contract.transact("approve", self.vault.address, MAX_U256, sender=self.deployer)
        return token

    def _created(self, factory: Any, receipt: Any, kind: str) -> Any:
        [event] = factory.events(receipt, "PoolCreated")
        return self.node.contract(self.pool_ifaces[kind], event["pool"])

    def create_weighted(self, version: str, tokens: Sequence[str], weights: Sequence[int], fee: int) -> Any:
        """A weighted pool of factory v0 (`v0`) or v3 (`v3Plus`); tokens sorted by address."""
        factory = self.factories[version]
        if version == "v0":
            receipt = factory.transact(
                "create", "W", "W", list(tokens), list(weights), fee, self.deployer, sender=self.deployer
            )
        else:
            zeros = ["0x" + "00" * 20] * len(tokens)
            receipt = factory.transact(
                "create",
                "W",
                "W",
                list(tokens),
                list(weights),
                zeros,
                fee,
                self.deployer,
                sender=self.deployer,
            )
        return self._created(factory, receipt, version)

    def create_stable(self, tokens: Sequence[str], amp: int, fee: int) -> Any:
        """A plain StablePool of StablePoolFactory v2 (no BPT among its tokens)."""
        factory = self.factories["stable_v2"]
        receipt = factory.transact(
            "create", "S", "S", list(tokens), amp, fee, self.deployer, sender=self.deployer
        )
        return self._created(factory, receipt, "stable_v2")

    def create_composable_stable(self, tokens: Sequence[str], amp: int, fee: int) -> Any:
        factory = self.factories["stable"]
        n = len(tokens)
        zeros = ["0x" + "00" * 20] * n
        receipt = factory.transact(
            "create", "S", "S", list(tokens), amp, zeros, [0] * n, [False] * n, fee, self.deployer,
            sender=self.deployer,
        )  # fmt: skip
        return self._created(factory, receipt, "stable")

    def initialise(self, pool: Any, amounts: dict[str, int]) -> None:
        """JoinKind.INIT with these amounts (a composable pool's own BPT gets 0: it premints it)."""
        pool_id = pool.call("getPoolId")
        tokens, _, _ = self.vault.call("getPoolTokens", pool_id)
        amounts_in = [amounts.get(t.lower(), 0) for t in tokens]
        user_data = _encode_init(amounts_in)
        request = (list(tokens), [MAX_U256] * len(tokens), user_data, False)
        self.vault.transact("joinPool", pool_id, self.deployer, self.deployer, request, sender=self.deployer)

    def query(self, pool_id: bytes, kind: int, token_in: str, token_out: str, amount: int) -> int | None:
        """What the Vault would take in (GIVEN_OUT) or pay out (GIVEN_IN); None where the pool reverts."""
        funds = (self.deployer, False, self.deployer, False)
        swap = [(pool_id, 0, 1, amount, b"")]
        try:
            deltas = self.vault.call("queryBatchSwap", kind, swap, [token_in, token_out], funds)
        except ChainError:
            return None
        return -deltas[1] if kind == GIVEN_IN else deltas[0]


def _encode_init(amounts_in: list[int]) -> bytes:
    return encode(["uint256", "uint256[]"], [0, amounts_in])


@contextmanager
def balancer_chain() -> Iterator[BalancerChain]:
    """An empty anvil with the Balancer V2 Vault and four pool factories deployed; stopped on exit."""
    with Anvil(args=["--gas-limit", "100000000", "--code-size-limit", "100000"]) as anvil:
        node = Node(anvil.rpc)
        deployer = node.accounts()[0]

        def deploy(task: str, name: str, *args: Any) -> Any:
            iface = _abi(task, name)
            address = node.deploy(
                deployer, _creation_code(task, name) + iface.encode_constructor(*args), what=name
            )
            return node.contract(iface, address)

        authorizer = deploy("20210418-authorizer", "Authorizer", deployer)
        vault = deploy("20210418-vault", "Vault", authorizer.address, deployer, 0, 0)
        fees = deploy(
            "20220725-protocol-fee-percentages-provider",
            "ProtocolFeePercentagesProvider",
            vault.address,
            ONE,
            ONE,
        ).address
        factories = {
            "v0": deploy("20210418-weighted-pool", "WeightedPoolFactory", vault.address),
            "v3Plus": deploy(
                "20230206-weighted-pool-v3", "WeightedPoolFactory", vault.address, fees, "f", "p"
            ),
            "stable": deploy(
                "20230206-composable-stable-pool-v3",
                "ComposableStablePoolFactory",
                vault.address,
                fees,
                "f",
                "p",
            ),
            "stable_v2": deploy("20220609-stable-pool-v2", "StablePoolFactory", vault.address),
        }
        pool_ifaces = {
            "v0": _abi("20210418-weighted-pool", "WeightedPool"),
            "v3Plus": _abi("20230206-weighted-pool-v3", "WeightedPool"),
            "stable": _abi("20230206-composable-stable-pool-v3", "ComposableStablePool"),
            "stable_v2": _abi("20220609-stable-pool-v2", "StablePool"),
        }
        yield BalancerChain(node, deployer, vault, factories, pool_ifaces)
