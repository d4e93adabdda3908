"""Build the mainnet-shaped chain from scratch on a fresh anvil and save it as an anvil state file.

Phases: deploy (tokens, factories, periphery, Permit2 and UniswapX at mainnet addresses, our RouteExecutor
at its documented CREATE2 address), fund accounts,
create pools, mint the seeded positions, add v2 liquidity, then trade a week of history. The state is dumped
with `anvil_dumpState`, so later starts load it in seconds instead of rebuilding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from amm.chain.anvil import Anvil
from amm.chain.devnet.blocks import BlockBuilder
from amm.chain.devnet.cow import deploy_cow
from amm.chain.devnet.deploy import CoreContracts, deploy_core
from amm.chain.devnet.history import DEADLINE, History
from amm.chain.devnet.liquidity import PositionPlan, plan_positions, plan_v2_adds
from amm.chain.devnet.route_executor import deploy_route_executor
from amm.chain.devnet.spec import HISTORY, POOLS, SEED, TOKENS
from amm.chain.devnet.uniswapx import deploy_uniswapx
from amm.chain.node import Node
from amm.chain.tokens import MAX_UINT256

Progress = Callable[[str, int, int], None]  # (phase, done, total)

OBSERVATION_CARDINALITY = 100  # the big mainnet pools have hundreds of oracle slots
TRADER_USD_PER_TOKEN = 5e9  # deep enough to arbitrage every pool for a week
USER_FUNDS_USD = 10e6  # per token, for each of the free test accounts
LP_BUFFER = 1.5  # LPs hold more than their initial positions need, for re-centring later


@dataclass(frozen=True)
class Roles:
    """Which anvil dev account does what. The free `users` are for people and tests to trade with."""

    deployer: str
    lps: list[str]
    trader: str
    users: list[str]

    @classmethod
    def from_accounts(cls, accounts: list[str]) -> Roles:
        return cls(deployer=accounts[0], lps=accounts[1:5], trader=accounts[5], users=accounts[6:10])

    @property
    def solver(self) -> str:
        """The solver's own account: owns `solver run`'s filler, is on CoW's solver allow list."""
        return self.users[3]


def build_chain(progress: Progress | None = None) -> tuple[bytes, dict[str, Any]]:
    """Build the chain on a scratch anvil; returns (state JSON, manifest)."""
    say = progress or (lambda phase, done, total: None)
    spec = HISTORY
    args = ["--timestamp", str(spec.genesis_timestamp), "--disable-code-size-limit"]
    with Anvil(args=args) as anvil:
        node = Node(anvil.rpc)
        roles = Roles.from_accounts(node.accounts())
        anvil.rpc.call("anvil_setBlockTimestampInterval", [1])  # deterministic timestamps while deploying
        say("deploy contracts", 0, 1)
        core = deploy_core(node, roles.deployer, minter=roles.deployer)
        uniswapx = deploy_uniswapx(node, roles.deployer)
        cow = deploy_cow(node, roles.deployer, solvers=(roles.solver,))
        route_executor = deploy_route_executor(node, roles.deployer)
        anvil.rpc.call("anvil_removeBlockTimestampInterval")
        say("deploy contracts", 1, 1)

        builder = BlockBuilder(node)
        history = History(node, core, roles.trader, roles.lps, spec, SEED)
        usd = {symbol: token.usd for symbol, token in TOKENS.items()}
        plans = {p.name: plan_positions(p, usd, len(roles.lps), SEED) for p in POOLS if p.kind == "v3"}
        adds = {p.name: plan_v2_adds(p, usd, len(roles.lps), SEED) for p in POOLS if p.kind == "v2"}

        say("fund accounts", 0, 1)
        _fund(node, builder, core, roles, needs=[*plans.items(), *adds.items()])
        builder.mine()
        say("fund accounts", 1, 1)

        for pool in POOLS:
            if pool.kind == "v3":
                npm = history.npm
                args3 = (pool.token0.address, pool.token1.address, pool.fee, pool.sqrt_price_x96(usd))
                builder.call(
                    npm, "createAndInitializePoolIfNecessary", *args3, sender=roles.deployer, gas=6_000_000
                )
        builder.mine()
        for pool in POOLS:
            if pool.kind == "v3":
                v3pool = node.contract("UniswapV3Pool", pool.address)
                builder.call(
                    v3pool,
                    "increaseObservationCardinalityNext",
                    OBSERVATION_CARDINALITY,
                    sender=roles.deployer,
                    gas=3_000_000,
                )
        builder.mine()

        total = sum(len(v) for v in plans.values())
        done = 0
        for pool in POOLS:
            if pool.kind != "v3":
                continue
            for plan in plans[pool.name]:
                owner = roles.lps[plan.lp]
                ticks, amounts = (plan.tick_lower, plan.tick_upper), (plan.amount0, plan.amount1)
                history.mint_exact(builder, pool, owner, ticks=ticks, amounts=amounts)
            history.record(builder.mine())
            done += len(plans[pool.name])
            say("mint positions", done, total)

        router = history.v2_router
        for pool in POOLS:
            if pool.kind != "v2":
                continue
            for plan in adds[pool.name]:
                liquidity = (pool.token0.address, pool.token1.address, plan.amount0, plan.amount1, 0, 0)
                owner = roles.lps[plan.lp]
                builder.call(router, "addLiquidity", *liquidity, owner, DEADLINE, sender=owner, gas=3_500_000)
            builder.mine()
        say("add v2 liquidity", 1, 1)

        start = builder.timestamp + spec.start_delay
        end = history.run(builder, start, lambda done, total: say("trade history", done, total))
        builder.close()
        state = node.dump_state()
        manifest = {
            "chain_id": node.chain_id,
            "block": node.block_number(),
            "timestamp": end,
            "history": {"start": start, "end": end, **asdict(spec)},
            "blocks_mined": builder.blocks,
            "transactions": builder.transactions,
            "contracts": asdict(core),
            "uniswapx": asdict(uniswapx),
            "cow": asdict(cow),
            "route_executor": route_executor,
            "tokens": {s: asdict(t) for s, t in TOKENS.items()},
            "pools": [
                {
                    "name": p.name,
                    "kind": p.kind,
                    "address": p.address,
                    "token0": p.token0.address,
                    "token1": p.token1.address,
                    "fee": p.fee,
                    "tick_spacing": p.tick_spacing,
                }
                for p in POOLS
            ],
            "accounts": asdict(roles),
        }
        return state, manifest


def _fund(
    node: Node,
    builder: BlockBuilder,
    core: CoreContracts,
    roles: Roles,
    *,
    needs: list[tuple[str, list[PositionPlan]]],
) -> None:
    """Mint tokens (WETH by depositing ETH) to everyone; LPs and the trader approve the periphery.

    The free user accounts get tokens but no approvals, so a test that forgets an approval fails as it would
    on mainnet."""
    need: dict[tuple[str, str], float] = {}
    for name, pool_plans in needs:
        pool = next(p for p in POOLS if p.name == name)
        for plan in pool_plans:
            owner = roles.lps[plan.lp]
            need[(owner, pool.symbol0)] = need.get((owner, pool.symbol0), 0) + plan.amount0 * LP_BUFFER
            need[(owner, pool.symbol1)] = need.get((owner, pool.symbol1), 0) + plan.amount1 * LP_BUFFER
    for symbol, token in TOKENS.items():
        extra_lp = 10e6 / token.usd * 10**token.decimals  # room for re-centred positions
        for lp in roles.lps:
            need[(lp, symbol)] = need.get((lp, symbol), 0) + extra_lp
        need[(roles.trader, symbol)] = TRADER_USD_PER_TOKEN / token.usd * 10**token.decimals
        for user in roles.users:
            need[(user, symbol)] = USER_FUNDS_USD / token.usd * 10**token.decimals

    weth = node.contract("WETH9", core.weth)
    for (owner, symbol), amount in sorted(need.items()):
        raw = int(amount)
        if symbol == "WETH":
            node.set_balance(owner, node.balance(owner) + raw)
            builder.call(weth, "deposit", sender=owner, value=raw, gas=100_000)
        else:
            token = node.contract("MintableERC20", TOKENS[symbol].address)
            builder.call(token, "mint", owner, raw, sender=roles.deployer, gas=100_000)
    spenders = (core.position_manager, core.swap_router, core.swap_router02, core.v2_router02)
    for owner in sorted({*roles.lps, roles.trader}):
        for token in TOKENS.values():
            contract = node.contract("MintableERC20", token.address)
            for spender in spenders:
                builder.call(contract, "approve", spender, MAX_UINT256, sender=owner, gas=100_000)
