"""Real contract ABIs and bytecode, loaded from npm packages and from our own solc-js build.

Nothing here is pasted by hand: every byte comes from a pinned npm artifact (package-lock.json) or from
`scripts/compile_contracts.mjs`. Formats differ per package (hardhat, waffle, truffle), so each is normalised
into one `Artifact`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from amm.chain.abi import ContractInterface
from amm.chain.errors import ArtifactMissing

V3_CORE = "@uniswap/v3-core/artifacts/contracts"
V3_PERIPHERY = "@uniswap/v3-periphery/artifacts/contracts"

# name -> path under node_modules (npm packages) or under build/ (our compiled and exported artifacts)
COW_MAINNET = "@cowprotocol/contracts/deployments/mainnet"
NPM_ARTIFACTS: dict[str, str] = {
    "UniswapV3Factory": f"{V3_CORE}/UniswapV3Factory.sol/UniswapV3Factory.json",
    "UniswapV3Pool": f"{V3_CORE}/UniswapV3Pool.sol/UniswapV3Pool.json",
    "NonfungiblePositionManager": (
        f"{V3_PERIPHERY}/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
    ),
    "NonfungibleTokenPositionDescriptor": (
        f"{V3_PERIPHERY}/NonfungibleTokenPositionDescriptor.sol/NonfungibleTokenPositionDescriptor.json"
    ),
    "NFTDescriptor": f"{V3_PERIPHERY}/libraries/NFTDescriptor.sol/NFTDescriptor.json",
    "SwapRouter": f"{V3_PERIPHERY}/SwapRouter.sol/SwapRouter.json",
    "QuoterV2": f"{V3_PERIPHERY}/lens/QuoterV2.sol/QuoterV2.json",
    "TickLens": f"{V3_PERIPHERY}/lens/TickLens.sol/TickLens.json",
    "UniswapInterfaceMulticall": (
        f"{V3_PERIPHERY}/lens/UniswapInterfaceMulticall.sol/UniswapInterfaceMulticall.json"
    ),
    "SwapRouter02": "@uniswap/swap-router-contracts/artifacts/contracts/SwapRouter02.sol/SwapRouter02.json",
    "UniversalRouter": (
        "@uniswap/universal-router/artifacts/contracts/UniversalRouter.sol/UniversalRouter.json"
    ),
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    "WETH9": "canonical-weth/build/contracts/WETH9.json",
    # CoW Protocol: what was deployed on mainnet (lib/contracts/ holds a later build whose bytecode differs)
    "GPv2Settlement": f"{COW_MAINNET}/GPv2Settlement.json",
    "GPv2AllowListAuthentication": f"{COW_MAINNET}/GPv2AllowListAuthentication_Implementation.json",
    "GPv2AllowListAuthenticationProxy": f"{COW_MAINNET}/GPv2AllowListAuthentication_Proxy.json",
    "GPv2VaultRelayer": "@cowprotocol/contracts/lib/contracts/GPv2VaultRelayer.json",  # ABI only: CREATEd
}
UNISWAPX_ARTIFACTS = (
    "Permit2",
    "ExclusiveDutchOrderReactor",
    "V2DutchOrderReactor",
    "DutchOrderReactor",
    "V3DutchOrderReactor",
    "PriorityOrderReactor",
    "OrderQuoter",
    "SwapRouter02Executor",
)


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode_hex: str  # creation code without 0x; unlinked libraries show as __$...$__ placeholders
    deployed_bytecode: bytes
    source: str
    link_references: dict[str, dict[str, list[dict[str, int]]]] = field(default_factory=dict)

    @property
    def interface(self) -> ContractInterface:
        return _interface(self.name, self.source)

    @property
    def bytecode(self) -> bytes:
        """Creation code; an artifact that needs libraries must go through `linked` instead."""
        if self.link_references:
            raise ArtifactMissing(f"{self.name} needs libraries linked: {sorted(self._libraries())}")
        return bytes.fromhex(self.bytecode_hex)

    def creation_code(self, *constructor_args: Any) -> bytes:
        """What a deployment sends: the creation code followed by the ABI-encoded constructor arguments."""
        return self.bytecode + self.interface.encode_constructor(*constructor_args)

    def _libraries(self) -> set[str]:
        return {lib for refs in self.link_references.values() for lib in refs}

    def linked(self, libraries: dict[str, str]) -> bytes:
        """Creation code with library placeholders replaced by the given addresses (by library name)."""
        code = self.bytecode_hex
        for refs in self.link_references.values():
            for lib, spots in refs.items():
                if lib not in libraries:
                    raise ArtifactMissing(f"{self.name} needs library {lib} linked")
                address = libraries[lib].removeprefix("0x").lower()
                for spot in spots:  # offsets are in bytes; the code is hex text
                    start = 2 * spot["start"]
                    code = code[:start] + address + code[start + 2 * spot["length"] :]
        return bytes.fromhex(code)


def project_root() -> Path:
    """The checkout that holds node_modules/ and build/ (override with AMM_PROJECT_ROOT)."""
    env = os.environ.get("AMM_PROJECT_ROOT")
    return Path(env) if env else Path(__file__).resolve().parents[2]


def build_dir() -> Path:
    return project_root() / "build"


def load(name: str) -> Artifact:
    """The artifact called `name`: an npm package's, a UniswapX export, or one of our compiled contracts."""
    return _load(name)


def interface(name: str) -> ContractInterface:
    """Just the ABI codec of `name` (cheap after the first call)."""
    return load(name).interface


@cache
def _load(name: str) -> Artifact:
    if name in NPM_ARTIFACTS:
        path = project_root() / "node_modules" / NPM_ARTIFACTS[name]
        hint = "run `make setup` (npm ci) to install the npm packages"
    elif name in UNISWAPX_ARTIFACTS:
        path = build_dir() / "artifacts" / "uniswapx" / f"{name}.json"
        hint = "run `make setup` (it exports the UniswapX artifacts)"
    else:
        path = build_dir() / "contracts" / f"{name}.json"
        hint = "run `make setup` (it compiles contracts/ with solc-js); is the contract name right?"
    if not path.is_file():
        raise ArtifactMissing(f"no artifact for {name} at {path}: {hint}")
    return _normalise(name, json.loads(path.read_text()), str(path))


@cache
def _interface(name: str, source: str) -> ContractInterface:
    return ContractInterface(_load(name).abi, name)


def _hex_text(value: Any) -> str:
    if isinstance(value, dict):  # waffle: {"object": "..."}
        value = value.get("object", "")
    return str(value or "").removeprefix("0x")


def _normalise(name: str, raw: dict[str, Any], source: str) -> Artifact:
    abi = raw["abi"]
    if isinstance(abi, str):
        abi = json.loads(abi)
    evm = raw.get("evm", {})
    bytecode = raw.get("bytecode") or evm.get("bytecode", {}).get("object", "")
    deployed = raw.get("deployedBytecode") or evm.get("deployedBytecode", {}).get("object", "")
    links = raw.get("linkReferences") or evm.get("bytecode", {}).get("linkReferences") or {}
    return Artifact(
        name=name,
        abi=abi,
        bytecode_hex=_hex_text(bytecode),
        deployed_bytecode=bytes.fromhex(_hex_text(deployed)) if "__" not in _hex_text(deployed) else b"",
        source=source,
        link_references=links,
    )
