"""Realistic user flow on the built-in chain: funded users sign real UniswapX orders around the pools' price.

Everything an order needs to be fillable is real: the swappers hold the tokens, approved Permit2 in real
transactions (`prepare`), signed the Permit2 witness, and the cosigned kinds carry a cosignature from the
generator's cosigner key (a pipeline that checks cosigners should trust `FlowGenerator.cosigner`).

The market model, per block (`step`), all drawn from one seeded numpy generator:
- arrivals: Poisson with mean `orders_per_block`;
- pair: drawn by weight from `pairs`; direction: a fair coin (uninformed) or toward the move (informed);
- size: log-normal USD notional, median `median_notional_usd` (default $2,000) and log-sd `notional_sigma`
  (default 1.6: mean about $7,200, 99th percentile about $83,000), clipped to [`min_notional_usd`,
  `max_notional_usd`] -- a heavy right tail as in real intent flow;
- price: the start amount is the fair amount (the pools' mid, `solver.routing.prices.reference_prices`)
  worsened by a uniform `start_offset_bps` (negative: better than fair), decaying to a limit `slippage_bps`
  worse still;
- kind: `dutch` (time decay), `v2_dutch` (cosigned, time decay), `v3_dutch` (cosigned, block decay); a share
  `exact_out_share` fixes the output and decay the input instead; deadlines `deadline_seconds` out.

Informed flow (the design choice): the generator does not move the market. The caller who does (a price
path in a backtest, a market simulator, a test) tells `step` the next fair prices; a share `informed_share`
of that block's orders then trade toward the move, quote their start at today's fair price like everyone else
and set their limit from the *next* price (plus an edge `informed_margin_bps` for themselves). A filler that
takes such an order at an apparent edge against today's price loses it when the move lands: adverse
selection, with the ground truth kept in `GeneratedOrder.informed` for evaluation (the pipeline itself only
sees `IncomingOrder`). Without next prices there is nothing to be informed about: every order is uninformed.

Reproducible: the same seed on the same chain state (block numbers, timestamps, pool prices) gives the same
orders byte for byte (ECDSA here is deterministic, RFC 6979).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from eth_account import Account
from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain.node import Node
from amm.chain.tokens import MAX_UINT256, approve, deal, erc20
from solver.flow.incoming import IncomingOrder, receive
from solver.intents.uniswapx import (
    DutchInput,
    DutchOutput,
    ExclusiveDutchOrder,
    NonlinearDutchDecay,
    Order,
    OrderInfo,
    V2CosignerData,
    V2DutchOrder,
    V3CosignerData,
    V3DutchInput,
    V3DutchOrder,
    V3DutchOutput,
    reactor_for,
)
from solver.routing.prices import reference_prices
from solver.routing.universe import Token, Universe

# anvil's public test mnemonic: its accounts 6-9 are the built-in chain's free, funded users (test only!)
DEV_MNEMONIC = "test test test test test test test test test test test junk"
FREE_DEV_ACCOUNTS = (6, 7, 8, 9)
DEFAULT_COSIGNER_KEY = "0x" + keccak(b"solver.flow generator cosigner").hex()
GENERATED_KINDS = ("dutch", "v2_dutch", "v3_dutch")
_BPS = 10_000


def dev_account_key(index: int) -> str:
    """The private key of anvil's dev account `index` (m/44'/60'/0'/0/index of the public test mnemonic)."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()


def extra_user_key(index: int) -> str:
    """A deterministic key for the generator's own users beyond the dev accounts (funded by `prepare`)."""
    return "0x" + keccak(f"solver.flow user {index}".encode()).hex()


@dataclass(frozen=True)
class FlowConfig:
    """The flow's knobs; defaults give a plausible retail-heavy mix on the built-in chain."""

    seed: int = 0
    orders_per_block: float = 2.0  # Poisson mean
    informed_share: float = 0.1  # of the orders in blocks whose next prices the caller gave
    # (token a, token b, weight): each order sells one for the other, either way
    pairs: tuple[tuple[str, str, float], ...] = (
        ("USDC", "WETH", 0.4),
        ("WETH", "USDT", 0.25),
        ("DAI", "WETH", 0.15),
        ("WBTC", "WETH", 0.2),
    )
    kinds: tuple[tuple[str, float], ...] = (("dutch", 0.4), ("v2_dutch", 0.3), ("v3_dutch", 0.3))
    median_notional_usd: float = 2_000.0
    notional_sigma: float = 1.6  # log-sd of the log-normal notional
    min_notional_usd: float = 10.0
    max_notional_usd: float = 1_000_000.0
    exact_out_share: float = 0.2
    start_offset_bps: tuple[float, float] = (-5.0, 15.0)  # start vs fair (negative: better for the swapper)
    slippage_bps: tuple[float, float] = (30.0, 100.0)  # limit vs start
    informed_margin_bps: tuple[float, float] = (0.0, 5.0)  # an informed limit's edge over the next fair price
    decay_seconds: tuple[int, int] = (60, 180)  # dutch and v2_dutch
    decay_blocks: tuple[int, int] = (5, 15)  # v3_dutch
    deadline_seconds: tuple[int, int] = (120, 600)
    users: int = 4  # anvil accounts 6-9 first, then generated ones
    user_funding_usd: float = 10_000_000.0  # of each token, as the dev accounts have

    def __post_init__(self) -> None:
        unknown = {k for k, _ in self.kinds} - set(GENERATED_KINDS)
        if unknown:
            raise ValueError(f"the generator makes {', '.join(GENERATED_KINDS)}, not {', '.join(unknown)}")
        if not 0.0 <= self.informed_share <= 1.0 or not 0.0 <= self.exact_out_share <= 1.0:
            raise ValueError("shares are between 0 and 1")
        if self.orders_per_block < 0 or self.users < 1:
            raise ValueError("orders_per_block >= 0 and users >= 1")


@dataclass(frozen=True)
class GeneratedOrder:
    """A generated order as the pipeline receives it, plus the ground truth only an evaluation may read."""

    incoming: IncomingOrder
    informed: bool
    notional_usd: float
    sells: str  # token symbols
    buys: str
    exact_out: bool


@dataclass
class _User:
    key: str
    address: str = field(init=False)

    def __post_init__(self) -> None:
        self.address = Account.from_key(self.key).address


class FlowGenerator:
    """Signs a block's worth of user orders at a time on `node` (the built-in chain, or a fork of it)."""

    def __init__(
        self,
        node: Node,
        config: FlowConfig | None = None,
        *,
        universe: Universe | None = None,
        cosigner_key: str = DEFAULT_COSIGNER_KEY,
    ) -> None:
        self.node = node
        self.config = config or FlowConfig()
        self.universe = universe if universe is not None else Universe.discover(node)
        self.cosigner_key = cosigner_key
        self.cosigner = Account.from_key(cosigner_key).address
        self.source = f"generator:seed={self.config.seed}"
        self._rng = np.random.default_rng(self.config.seed)
        self._next_nonce = int.from_bytes(keccak(f"solver.flow nonces {self.config.seed}".encode())[:8]) << 8
        keys = [dev_account_key(i) for i in FREE_DEV_ACCOUNTS[: self.config.users]]
        keys += [extra_user_key(i) for i in range(self.config.users - len(keys))]
        self._users = [_User(k) for k in keys]
        weights = np.array([w for *_, w in self.config.pairs], dtype=float)
        self._pair_p = weights / weights.sum()
        kind_weights = np.array([w for _, w in self.config.kinds], dtype=float)
        self._kind_p = kind_weights / kind_weights.sum()

    @property
    def users(self) -> list[str]:
        return [u.address for u in self._users]

    def tokens(self) -> list[Token]:
        """The tokens the configured pairs trade."""
        symbols = dict.fromkeys(s for a, b, _ in self.config.pairs for s in (a, b))
        return [self.universe.token(s) for s in symbols]

    # -- chain setup -------------------------------------------------------------------------------------
    def prepare(self) -> int:
        """Fund users that hold less than half their due (on the built-in chain only the generated ones: the
        dev accounts hold $10M of each token; on a fork, all) and have every user approve Permit2 for every
        traded token, once. Returns the approval transactions sent (0 when already done)."""
        prices = self.prices()
        for user in self._users:
            if self.node.balance(user.address) < 10**18:
                self.node.set_balance(user.address, 100 * 10**18)
            for token in self.tokens():
                amount = int(self.config.user_funding_usd / prices[token.symbol] * 10**token.decimals)
                if erc20(self.node, token.address).call("balanceOf", user.address) < amount // 2:
                    deal(self.node, token.address, user.address, amount)
        sent = 0
        for user in self._users:
            for token in self.tokens():
                allowance = erc20(self.node, token.address).call("allowance", user.address, mainnet.PERMIT2)
                if allowance < MAX_UINT256 // 2:
                    with self.node.impersonating(user.address):
                        approve(self.node, token.address, user.address, mainnet.PERMIT2)
                    sent += 1
        return sent

    # -- prices ------------------------------------------------------------------------------------------
    def prices(self) -> dict[str, float]:
        """USD per whole token (USDC = $1) by symbol, from the pools' mid at the latest block."""
        if self.universe.block is not None:
            self.universe.refresh(self.node)
        usdc = self.universe.token("USDC")
        raw = reference_prices(self.universe, usdc.address)
        return {
            t.symbol: raw[address] * 10**t.decimals / 10**usdc.decimals
            for address, t in self.universe.tokens.items()
            if address in raw
        }

    # -- flow --------------------------------------------------------------------------------------------
    def step(self, next_prices: Mapping[str, float] | None = None) -> list[GeneratedOrder]:
        """The orders that arrive while the chain is at its latest block, signed and ready to fill.

        `next_prices` (USD per whole token by symbol; tokens left out are taken as unchanged) is where the
        pools will be next: with it, a share of the orders are informed (see the module docstring)."""
        block = self.node.block("latest")
        number, now = int(block["number"], 16), int(block["timestamp"], 16)
        base_fee = int(block.get("baseFeePerGas") or "0x0", 16)
        fair = self.prices()
        upcoming = {s: (next_prices or {}).get(s, p) for s, p in fair.items()}
        rng = self._rng
        orders = []
        for _ in range(int(rng.poisson(self.config.orders_per_block))):
            a, b, _weight = self.config.pairs[int(rng.choice(len(self.config.pairs), p=self._pair_p))]
            kind = self.config.kinds[int(rng.choice(len(self.config.kinds), p=self._kind_p))][0]
            user = self._users[int(rng.integers(len(self._users)))]
            informed = next_prices is not None and bool(rng.random() < self.config.informed_share)
            sells, buys = (b, a) if rng.random() < 0.5 else (a, b)
            if informed:
                sells, buys = _toward_the_move(a, b, fair, upcoming, (sells, buys))
            notional = float(
                np.clip(
                    rng.lognormal(math.log(self.config.median_notional_usd), self.config.notional_sigma),
                    self.config.min_notional_usd,
                    self.config.max_notional_usd,
                )
            )
            exact_out = bool(rng.random() < self.config.exact_out_share)
            legs = self._legs(sells, buys, notional, exact_out, informed, fair, upcoming)
            order = self._build(kind, user, legs, now=now, block=number, base_fee=base_fee)
            incoming = receive(
                kind,
                order.chain_id,
                order.encode(),
                order.sign(user.key),
                received_block=number,
                received_time=now,
                source=self.source,
            )
            orders.append(GeneratedOrder(incoming, informed, notional, sells, buys, exact_out))
        return orders

    def _legs(
        self,
        sells: str,
        buys: str,
        notional: float,
        exact_out: bool,
        informed: bool,
        fair: Mapping[str, float],
        upcoming: Mapping[str, float],
    ) -> _Legs:
        """Amounts of one order: the fixed side from the notional, the decaying side from start to limit."""
        rng, cfg = self._rng, self.config
        t_in, t_out = self.universe.token(sells), self.universe.token(buys)
        start_worse = float(rng.uniform(*cfg.start_offset_bps)) / _BPS
        slippage = float(rng.uniform(*cfg.slippage_bps)) / _BPS
        margin = float(rng.uniform(*cfg.informed_margin_bps)) / _BPS
        if exact_out:  # the output is fixed; the input the swapper pays rises from start to limit
            amount_out = _raw(t_out, notional, fair)
            start_in = int(_raw(t_in, notional, fair) * (1 + start_worse))
            limit_in = int(start_in * (1 + slippage))
            if informed:  # pay up to what the output will be worth next, in the input's next price
                usd_next = amount_out / 10**t_out.decimals * upcoming[buys]
                limit_in = max(start_in, int(_raw(t_in, usd_next, upcoming) * (1 - margin)))
            return _Legs(t_in.address, t_out.address, start_in, limit_in, amount_out, amount_out)
        amount_in = _raw(t_in, notional, fair)
        start_out = int(_raw(t_out, notional, fair) * (1 - start_worse))
        limit_out = int(start_out * (1 - slippage))
        if informed:  # accept down to what the input will be worth next, in the output's next price
            usd_next = amount_in / 10**t_in.decimals * upcoming[sells]
            limit_out = min(start_out, int(_raw(t_out, usd_next, upcoming) * (1 + margin)))
        return _Legs(t_in.address, t_out.address, amount_in, amount_in, start_out, limit_out)

    def _build(self, kind: str, user: _User, legs: _Legs, *, now: int, block: int, base_fee: int) -> Order:
        """The order of `kind` for these amounts, cosigned if its kind is (the swapper signs it later)."""
        rng, cfg = self._rng, self.config
        deadline = now + int(rng.integers(cfg.deadline_seconds[0], cfg.deadline_seconds[1] + 1))
        nonce, self._next_nonce = self._next_nonce, self._next_nonce + 1
        chain_id = self.node.chain_id
        info = OrderInfo(reactor_for(kind, chain_id), user.address, nonce, deadline)
        dutch_input = DutchInput(legs.token_in, legs.start_in, legs.limit_in)
        dutch_output = DutchOutput(legs.token_out, legs.start_out, legs.limit_out, user.address)
        if kind in ("dutch", "v2_dutch"):
            decay_end = now + int(rng.integers(cfg.decay_seconds[0], cfg.decay_seconds[1] + 1))
            decay_end = min(decay_end, deadline)  # the reactors refuse a decay that outlives the order
            if kind == "dutch":
                return ExclusiveDutchOrder(
                    info=info,
                    chain_id=chain_id,
                    decay_start_time=now,
                    decay_end_time=decay_end,
                    input=dutch_input,
                    outputs=(dutch_output,),
                )
            return V2DutchOrder(
                info=info,
                chain_id=chain_id,
                cosigner=self.cosigner,
                base_input=dutch_input,
                base_outputs=(dutch_output,),
                cosigner_data=V2CosignerData(now, decay_end, output_amounts=(0,)),
            ).cosign(self.cosigner_key)
        blocks = int(rng.integers(cfg.decay_blocks[0], cfg.decay_blocks[1] + 1))
        return V3DutchOrder(
            info=info,
            chain_id=chain_id,
            cosigner=self.cosigner,
            starting_base_fee=base_fee,
            base_input=V3DutchInput(
                legs.token_in,
                legs.start_in,
                _linear_decay(blocks, legs.start_in - legs.limit_in),
                legs.limit_in,
            ),
            base_outputs=(
                V3DutchOutput(
                    legs.token_out,
                    legs.start_out,
                    _linear_decay(blocks, legs.start_out - legs.limit_out),
                    user.address,
                    legs.limit_out,
                ),
            ),
            cosigner_data=V3CosignerData(block, output_amounts=(0,)),
        ).cosign(self.cosigner_key)


@dataclass(frozen=True)
class _Legs:
    """Raw amounts of one order: input from start to limit (rising), output from start to limit (falling)."""

    token_in: str
    token_out: str
    start_in: int
    limit_in: int
    start_out: int
    limit_out: int


def _raw(token: Token, usd: float, prices: Mapping[str, float]) -> int:
    """The raw amount of `token` worth `usd` at `prices` (USD per whole token by symbol)."""
    return int(usd / prices[token.symbol] * 10**token.decimals)


def _linear_decay(blocks: int, total: int) -> NonlinearDutchDecay:
    """A V3 curve moving an amount by `total` (positive: falls; negative: rises) evenly over `blocks`; none
    for a fixed side."""
    if total == 0:
        return NonlinearDutchDecay()
    return NonlinearDutchDecay.from_points([blocks], [total])


def _toward_the_move(
    a: str, b: str, fair: Mapping[str, float], upcoming: Mapping[str, float], otherwise: tuple[str, str]
) -> tuple[str, str]:
    """(sells, buys) for an informed trader: buy whichever of a, b gains on the other (`otherwise`: a tie)."""
    relative = (upcoming[a] / fair[a]) / (upcoming[b] / fair[b])
    if relative > 1:
        return b, a
    if relative < 1:
        return a, b
    return otherwise


__all__ = [
    "DEFAULT_COSIGNER_KEY",
    "DEV_MNEMONIC",
    "FlowConfig",
    "FlowGenerator",
    "GeneratedOrder",
    "dev_account_key",
    "extra_user_key",
]
