"""A real UniswapV3Pool on anvil and an `amm.v3.Pool` driven side by side, compared after every step.

`V3Rig` deploys what the live tests share: two fresh MintableERC20 tokens and a few PoolActor owners funded
with both, on the bare chain (tests/amm/bare_chain.py; the v3 factory's owner is the impersonated Uniswap
timelock, as on mainnet). `LivePool` creates and initialises a pool of the rig's tokens and runs each
operation on the chain (a transaction at a chosen block timestamp) and on the model (same timestamp), then
checks that the amounts (read from the pool's events) or the revert reasons are equal and that every storage
value the model knows equals the contract's.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from eth_abi.packed import encode_packed
from eth_utils import keccak, to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.errors import TransactionFailed
from amm.chain.node import Node, Receipt
from amm.chain.state import read_v3_state
from amm.errors import Revert
from amm.v3.oracle import Observation
from amm.v3.pool import Pool
from amm.v3.position import PositionInfo
from amm.v3.tick import TickInfo

from .reference import state_of

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare

FEE_SPACING = dict(mainnet.FEE_TICK_SPACING)
ACTOR_FUNDS = 2**220  # per actor and token: more than any swap or mint of the tests can need
MAX_UINT128 = 2**128 - 1

Outcome = tuple[int, ...] | str  # amounts, or the revert reason


@dataclass
class V3Rig:
    """Fresh tokens and funded PoolActors on the bare chain."""

    chain: Bare
    token0: str
    token1: str
    actors: list[str]

    @classmethod
    def deploy(cls, chain: Bare, n_actors: int = 4) -> V3Rig:
        token0, token1 = mainnet.sort_tokens(chain.deploy_token("LA"), chain.deploy_token("LB"))
        actor_code = artifacts.load("PoolActor").bytecode
        actors = [chain.node.deploy(chain.deployer, actor_code, what="PoolActor") for _ in range(n_actors)]
        for token in (token0, token1):
            chain.mint_tokens(token, actors, ACTOR_FUNDS)
        return cls(chain, token0, token1, actors)

    @property
    def node(self) -> Node:
        return self.chain.node

    @property
    def sender(self) -> str:
        """The EOA that sends the actors' transactions."""
        return self.chain.accounts[1]

    def create_pool(self, fee: int) -> str:
        factory = self.node.contract("UniswapV3Factory", self.chain.v3_factory)
        self.chain.send(
            self.sender,
            factory.address,
            factory.interface.encode("createPool", self.token0, self.token1, fee),
        )
        return to_checksum_address(factory.call("getPool", self.token0, self.token1, fee))


@lru_cache(maxsize=65536)
def position_key(owner: str, tick_lower: int, tick_upper: int) -> bytes:
    """PositionKey: keccak256(abi.encodePacked(owner, tickLower, tickUpper))."""
    return keccak(encode_packed(["address", "int24", "int24"], [owner, tick_lower, tick_upper]))


@dataclass
class LivePool:
    """One pool on chain and its model; every method runs both and asserts they agree."""

    rig: V3Rig
    fee: int
    address: str
    model: Pool
    ts: int
    touched_ticks: set[int] = field(default_factory=set)
    touched_positions: set[tuple[str, int, int]] = field(default_factory=set)
    ops: int = 0
    reverts: int = 0
    ticks_crossed: int = 0  # initialised ticks crossed by the successful swaps
    max_crossed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------------------------------ set-up
    @classmethod
    def create(cls, rig: V3Rig, fee: int, sqrt_price_x96: int, *, timestamp: int | None = None) -> LivePool:
        """createPool + initialize on chain, Pool + initialize in memory, at the same block timestamp."""
        node = rig.node
        ts = timestamp if timestamp is not None else rig.chain.next_timestamp()
        node.set_next_block_timestamp(ts)
        address = rig.create_pool(fee)
        model = Pool(fee, FEE_SPACING[fee], address=address, token0=rig.token0, token1=rig.token1)
        live = cls(rig, fee, address, model, ts)
        node.set_next_block_timestamp(ts)
        live._send(rig.sender, live._pool_data("initialize", sqrt_price_x96))
        model.initialize(sqrt_price_x96, timestamp=ts)
        live.check_state()
        return live

    @property
    def node(self) -> Node:
        return self.rig.node

    def save(self) -> tuple[str, Pool, int, set[int], set[tuple[str, int, int]]]:
        """An evm_snapshot and a copy of the model, to come back to with `restore`."""
        return (
            self.node.snapshot(),
            copy.deepcopy(self.model),
            self.ts,
            set(self.touched_ticks),
            set(self.touched_positions),
        )

    def restore(self, saved: tuple[str, Pool, int, set[int], set[tuple[str, int, int]]]) -> None:
        """Back to a `save` on both sides (the snapshot is consumed: save again to come back twice)."""
        snapshot, model, self.ts, ticks, positions = saved
        self.node.revert(snapshot)
        self.model = copy.deepcopy(model)
        self.touched_ticks, self.touched_positions = set(ticks), set(positions)

    @property
    def pool_iface(self) -> Any:
        return artifacts.interface("UniswapV3Pool")

    def _pool_data(self, fn: str, *args: Any) -> bytes:
        return self.pool_iface.encode(fn, *args)

    def _send(self, sender: str, data: bytes, to: str | None = None) -> Receipt:
        return self.rig.chain.send(sender, to or self.address, data)

    def _events(self, receipt: Receipt, name: str) -> list[dict[str, Any]]:
        return self.node.contract(self.pool_iface, self.address).events(receipt, name)

    # ------------------------------------------------------------------------------------- operations
    def _run(
        self,
        what: str,
        dt: int,
        sender: str,
        to: str,
        data: bytes,
        event: str | None,
        fields: tuple[str, ...],
        model_call: Callable[[int], tuple[int, ...] | None],
    ) -> Outcome:
        """Send the transaction at ts + dt and run the model at the same time; compare and return."""
        self.ts += dt
        self.ops += 1
        self.log.append(f"t={self.ts} {what}")
        sent = self.rig.chain.try_send(sender, to, data, at=self.ts)
        if isinstance(sent, str):
            chain: Outcome = sent
        elif event is None:
            chain = ()
        else:
            logs = self._events(sent, event)
            chain = tuple(logs[0][f] for f in fields) if logs else ()
        before = state_of(self.model) if isinstance(chain, str) else None
        try:
            result = model_call(self.ts)
            model: Outcome = tuple(result) if result is not None else ()
        except Revert as err:
            model = err.reason
        if before is not None and isinstance(model, str):
            assert state_of(self.model) == before, f"{what}: the model changed although it reverted"
        if isinstance(chain, str):
            self.reverts += 1
            self.reasons[f"{what.partition(' ')[0]} {chain!r}"] += 1
        assert model == chain, f"{what}: model {model!r} != chain {chain!r}\n" + "\n".join(self.log[-12:])
        return chain

    def _actor(self, who: int, fn: str, *args: Any) -> tuple[str, bytes]:
        actor = self.rig.actors[who]
        return actor, artifacts.interface("PoolActor").encode(fn, self.address, *args)

    def mint(self, who: int, lower: int, upper: int, amount: int, dt: int = 1) -> Outcome:
        actor, data = self._actor(who, "mint", lower, upper, amount)
        self.touched_ticks.update((lower, upper))
        self.touched_positions.add((actor, lower, upper))
        return self._run(
            f"mint #{who} [{lower}, {upper}] {amount}",
            dt,
            self.rig.sender,
            actor,
            data,
            "Mint",
            ("amount0", "amount1"),
            lambda ts: self.model.mint(actor, lower, upper, amount, timestamp=ts),
        )

    def burn(self, who: int, lower: int, upper: int, amount: int, dt: int = 1) -> Outcome:
        actor, data = self._actor(who, "burn", lower, upper, amount)
        self.touched_ticks.update((lower, upper))
        self.touched_positions.add((actor, lower, upper))
        return self._run(
            f"burn #{who} [{lower}, {upper}] {amount}",
            dt,
            self.rig.sender,
            actor,
            data,
            "Burn",
            ("amount0", "amount1"),
            lambda ts: self.model.burn(actor, lower, upper, amount, timestamp=ts),
        )

    def collect(self, who: int, lower: int, upper: int, req0: int, req1: int, dt: int = 1) -> Outcome:
        actor, data = self._actor(who, "collect", lower, upper, req0, req1)
        self.touched_positions.add((actor, lower, upper))
        return self._run(
            f"collect #{who} [{lower}, {upper}] {req0} {req1}",
            dt,
            self.rig.sender,
            actor,
            data,
            "Collect",
            ("amount0", "amount1"),
            lambda ts: self.model.collect(actor, lower, upper, req0, req1),
        )

    def swap(self, who: int, zero_for_one: bool, amount: int, limit: int, dt: int = 1) -> Outcome:
        actor, data = self._actor(who, "swap", zero_for_one, amount, limit)
        direction = "0->1" if zero_for_one else "1->0"
        try:
            crossed = self.model.quote(zero_for_one, amount, limit).ticks_crossed
        except Revert:
            crossed = 0
        self.ticks_crossed += crossed
        self.max_crossed = max(self.max_crossed, crossed)
        return self._run(
            f"swap #{who} {direction} {amount} limit {limit}",
            dt,
            self.rig.sender,
            actor,
            data,
            "Swap",
            ("amount0", "amount1"),
            lambda ts: self.model.swap(zero_for_one, amount, limit, timestamp=ts),
        )

    def flash(self, who: int, amount0: int, amount1: int, repay0: int, repay1: int, dt: int = 1) -> Outcome:
        """Borrow and give back repay0/repay1 in total; the model's `paid` is what comes back on top."""
        actor, data = self._actor(who, "flash", amount0, amount1, repay0, repay1)
        return self._run(
            f"flash #{who} {amount0} {amount1} repay {repay0} {repay1}",
            dt,
            self.rig.sender,
            actor,
            data,
            "Flash",
            ("paid0", "paid1"),
            lambda ts: _paid(
                self.model.flash(amount0, amount1, repay0 - amount0, repay1 - amount1),
                repay0 - amount0,
                repay1 - amount1,
            ),
        )

    def set_fee_protocol(self, fee0: int, fee1: int, dt: int = 1) -> Outcome:
        return self._run(
            f"setFeeProtocol {fee0} {fee1}",
            dt,
            self.rig.chain.owner,
            self.address,
            self._pool_data("setFeeProtocol", fee0, fee1),
            None,
            (),
            lambda ts: self.model.set_fee_protocol(fee0, fee1),  # type: ignore[func-returns-value]
        )

    def collect_protocol(self, req0: int, req1: int, dt: int = 1) -> Outcome:
        return self._run(
            f"collectProtocol {req0} {req1}",
            dt,
            self.rig.chain.owner,
            self.address,
            self._pool_data("collectProtocol", self.rig.chain.owner, req0, req1),
            "CollectProtocol",
            ("amount0", "amount1"),
            lambda ts: self.model.collect_protocol(req0, req1),
        )

    def increase_cardinality(self, n: int, dt: int = 1) -> Outcome:
        return self._run(
            f"increaseObservationCardinalityNext {n}",
            dt,
            self.rig.sender,
            self.address,
            self._pool_data("increaseObservationCardinalityNext", n),
            None,
            (),
            lambda ts: self.model.increase_observation_cardinality_next(n),  # type: ignore[func-returns-value]
        )

    # ---------------------------------------------------------------------------------------- checks
    def check_state(self) -> None:
        """Every getter value the model holds (and every tick/position ever touched) equals the chain's."""
        m = self.model
        ticks = sorted(self.touched_ticks | set(m.ticks))
        words = sorted({(t // m.tick_spacing) >> 8 for t in ticks} | set(m.tick_bitmap))
        positions = sorted(self.touched_positions | set(m.positions), key=repr)  # type: ignore[arg-type]
        n_obs = max(m.observation_cardinality_next, len(m.observations))
        to = self.address
        calls = [(to, _calldata(n)) for n in _SCALARS]
        calls += [(to, _calldata("ticks", t)) for t in ticks]
        calls += [(to, _calldata("tickBitmap", w)) for w in words]
        calls += [(to, _calldata("positions", position_key(*k))) for k in positions]
        calls += [(to, _calldata("observations", i)) for i in range(n_obs)]
        raw = iter(self.rig.chain.read(calls))

        def fields(signed: tuple[int, ...] = (), flags: tuple[int, ...] = ()) -> list[Any]:
            return _fields(next(raw), signed, flags)

        slot0 = tuple(fields(signed=(1,), flags=(6,)))
        chain: dict[str, Any] = {
            "slot0": slot0,
            "liquidity": fields()[0],
            "feeGrowthGlobal0X128": fields()[0],
            "feeGrowthGlobal1X128": fields()[0],
            "protocolFees": tuple(fields()),
        }
        chain["ticks"] = {t: TickInfo(*fields(signed=(1, 4), flags=(7,))) for t in ticks}
        chain["bitmap"] = {w: fields()[0] for w in words}
        chain["positions"] = {k: PositionInfo(*fields()) for k in positions}
        chain["observations"] = [Observation(*fields(signed=(1,), flags=(3,))) for _ in range(n_obs)]
        ours = model_view(m, ticks, words, positions, n_obs)
        for key, value in chain.items():
            if ours[key] != value:
                detail = _diff(ours[key], value)
                raise AssertionError(f"{key} differs after:\n" + "\n".join(self.log[-12:]) + f"\n{detail}")

    def check_full_state(self) -> None:
        """The whole pool read back with read_v3_state (every bitmap word, tick, observation, balances)."""
        state = read_v3_state(self.node, self.address, tick_spacing=self.model.tick_spacing)
        m = self.model
        assert (state.sqrt_price_x96, state.tick) == (m.sqrt_price_x96, m.tick)
        assert (state.observation_index, state.observation_cardinality) == (
            m.observation_index,
            m.observation_cardinality,
        )
        assert (state.observation_cardinality_next, state.fee_protocol, state.unlocked) == (
            m.observation_cardinality_next,
            m.fee_protocol,
            m.unlocked,
        )
        assert state.liquidity == m.liquidity
        assert (state.fee_growth_global0_x128, state.fee_growth_global1_x128) == (
            m.fee_growth_global0_x128,
            m.fee_growth_global1_x128,
        )
        assert state.protocol_fees == m.protocol_fees
        assert state.bitmap == m.tick_bitmap
        assert {t: TickInfo(*v) for t, v in state.ticks.items()} == m.ticks
        obs = [Observation(*o) for o in state.observations]
        assert obs == _padded(m.observations, m.observation_cardinality)
        assert (state.balance0, state.balance1) == (m.balance0, m.balance1)

    def check_observe(self, seconds_agos: Iterable[int]) -> None:
        """observe() and snapshotCumulativesInside() of every touched range, at the latest block's time."""
        latest = int(self.node.block()["timestamp"], 16)
        pool = self.node.contract(self.pool_iface, self.address)
        agos = list(seconds_agos)
        m = self.model
        try:
            ours: Any = tuple(m.observe(agos, timestamp=latest))
        except Revert as err:
            ours = err.reason
        try:
            theirs: Any = tuple(list(x) for x in pool.call("observe", agos))
        except TransactionFailed as err:
            theirs = err.reason
        assert ours == theirs, f"observe({agos}) at {latest}"
        for lower, upper in sorted({(lo, hi) for _, lo, hi in self.touched_positions}):
            try:
                mine: Any = m.snapshot_cumulatives_inside(lower, upper, timestamp=latest)
            except Revert as err:
                mine = err.reason
            try:
                chain: Any = tuple(pool.call("snapshotCumulativesInside", lower, upper))
            except TransactionFailed as err:
                chain = err.reason
            assert mine == chain, f"snapshotCumulativesInside({lower}, {upper}) at {latest}"


@lru_cache(maxsize=65536)
def _calldata(fn: str, *args: Any) -> bytes:
    return artifacts.interface("UniswapV3Pool").encode(fn, *args)


def _fields(raw: str, signed: tuple[int, ...], flags: tuple[int, ...]) -> list[Any]:
    """Decode a static tuple of 32-byte words (what every pool getter returns) without eth_abi's overhead."""
    words = [int(raw[i : i + 64], 16) for i in range(2, len(raw), 64)]
    for i in signed:
        if words[i] >= 1 << 255:
            words[i] -= 1 << 256
    out: list[Any] = words
    for i in flags:
        out[i] = bool(words[i])
    return out


_SCALARS = ("slot0", "liquidity", "feeGrowthGlobal0X128", "feeGrowthGlobal1X128", "protocolFees")


def _padded(observations: list[Observation], n: int) -> list[Observation]:
    return (list(observations) + [Observation()] * n)[:n]


def model_view(
    m: Pool,
    ticks: list[int],
    words: list[int],
    positions: list[tuple[str, int, int]],
    n_obs: int,
) -> dict[str, Any]:
    """The model's answers to the same getter calls (absent entries read as zero, like storage)."""
    return {
        "slot0": m.slot0,
        "liquidity": m.liquidity,
        "feeGrowthGlobal0X128": m.fee_growth_global0_x128,
        "feeGrowthGlobal1X128": m.fee_growth_global1_x128,
        "protocolFees": m.protocol_fees,
        "ticks": {t: m.ticks.get(t, TickInfo()) for t in ticks},
        "bitmap": {w: m.tick_bitmap.get(w, 0) for w in words},
        "positions": {k: m.positions.get(k, PositionInfo()) for k in positions},
        "observations": _padded(m.observations, n_obs),
    }


def _paid(fees: tuple[int, int], paid0: int, paid1: int) -> tuple[int, int]:
    """Flash emits what came back on top of the loan; the model returns the minimum fees (checked < paid)."""
    assert fees[0] <= paid0 and fees[1] <= paid1
    return paid0, paid1


def _diff(ours: Any, theirs: Any) -> str:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        keys = [k for k in ours if ours.get(k) != theirs.get(k)]
        return "\n".join(
            f"  {k}: model {ours.get(k)!r}\n  {' ' * len(str(k))}  chain {theirs.get(k)!r}" for k in keys
        )
    if isinstance(ours, list) and isinstance(theirs, list):
        return "\n".join(
            f"  [{i}]: model {a!r}\n        chain {b!r}"
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            if a != b
        )
    return f"  model {ours!r}\n  chain {theirs!r}"


def usable_ticks(tick_spacing: int) -> tuple[int, int]:
    """The lowest and highest ticks a position can use with this spacing."""
    return -(887272 // tick_spacing) * tick_spacing, (887272 // tick_spacing) * tick_spacing
