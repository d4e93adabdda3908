"""Every calldata shape the decoder reads decodes to what the router then actually swaps on each pool.

Each test signs a real transaction, decodes it, sends it, and compares every decoded hop with the pool's own
Swap event: the hop's specified amount is the event's amount on that side, and the model's quote of the hop
(from the pool's state before the transaction) is the event's (amount0, amount1) exactly, derived hops
included."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_abi import encode

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.chain.devnet.build import Roles
from amm.chain.node import Node
from amm.v3.tick_math import MAX_SQRT_RATIO
from solver.jit.decode import (
    UNIVERSAL_ROUTER,
    V3_SWAP_EXACT_IN,
    V3_SWAP_EXACT_OUT,
    WRAP_ETH,
    Decoder,
    PendingSwap,
    Skip,
)
from solver.jit.routers import ensure_universal_router
from solver.routing.universe import Universe

from .conftest import Jit
from .victims import (
    DAI,
    USDC,
    USDT,
    WBTC,
    WETH,
    approve,
    exact_input,
    exact_input_single,
    exact_output,
    exact_output_single,
    multicall,
    path,
    sign,
    universal,
    ur_v3_swap,
)

SR, SR02 = mainnet.SWAP_ROUTER, mainnet.SWAP_ROUTER_02
UR_CONTRACT_BALANCE = 1 << 255


def _decoder(pools: Universe) -> Decoder:
    return Decoder({p.address: p.model for p in pools.pools if p.kind == "v3"})


def _prove(jit: Jit, pools: Universe, to: str, data: bytes, value: int = 0) -> PendingSwap:
    """Decode, send, and hold every decoded hop equal to the Swap event its pool emitted."""
    raw = sign(jit.node, jit.victim_key, to, data, value=value)
    decoded = _decoder(pools).decode(raw)
    assert isinstance(decoded, PendingSwap), decoded
    assert decoded.sender == jit.victim and decoded.to.lower() == to.lower()
    tx_hash = jit.node.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
    assert tx_hash == decoded.tx_hash
    receipt = jit.node.receipt(tx_hash)
    assert int(receipt["status"], 16) == 1, jit.node.failure_reason(receipt)
    swaps = {}
    for log in receipt["logs"]:
        if log["address"].lower() in {leg.pool.lower() for leg in decoded.legs}:
            events = jit.node.contract("UniswapV3Pool", log["address"]).events({"logs": [log]}, "Swap")
            swaps.update({log["address"].lower(): events[0] for _ in events})
    assert len(swaps) == len(decoded.legs)
    for leg in decoded.legs:
        event = swaps[leg.pool.lower()]
        moved = (event["amount0"], event["amount1"])
        exact_side = (
            (0 if leg.zero_for_one else 1) if leg.amount_specified > 0 else (1 if leg.zero_for_one else 0)
        )
        assert moved[exact_side] == leg.amount_specified, (leg, moved)
        quote = pools.pool(leg.pool).model.quote(
            leg.zero_for_one, leg.amount_specified, leg.sqrt_price_limit_x96 or None
        )
        assert (quote.amount0, quote.amount1) == moved
    return decoded


def _approve_all(jit: Jit, spender: str) -> None:
    for token in (USDC, WETH, USDT, DAI, WBTC):
        approve(jit.node, jit.victim, token, spender)


Shape = Callable[[str], tuple[str, bytes]]
SHAPES: dict[str, Shape] = {
    "SR.exactInputSingle": lambda me: (
        SR,
        exact_input_single("SwapRouter", USDC, WETH, 500, me, 400_000 * 10**6),
    ),
    "SR.exactOutputSingle": lambda me: (
        SR,
        exact_output_single("SwapRouter", WETH, USDC, 3000, me, 250_000 * 10**6),
    ),
    "SR.exactInput": lambda me: (
        SR,
        exact_input("SwapRouter", path(USDC, 500, WETH, 3000, WBTC), me, 300_000 * 10**6),
    ),
    "SR.exactOutput": lambda me: (
        SR,
        exact_output("SwapRouter", path(DAI, 3000, WETH, 500, USDC), me, 200_000 * 10**18),
    ),
    "SR.multicall": lambda me: (
        SR,
        multicall("SwapRouter", [exact_input_single("SwapRouter", WETH, USDT, 500, me, 50 * 10**18)]),
    ),
    "SR02.exactInputSingle": lambda me: (
        SR02,
        exact_input_single("SwapRouter02", WETH, USDT, 500, me, 80 * 10**18),
    ),
    "SR02.exactOutputSingle": lambda me: (
        SR02,
        exact_output_single("SwapRouter02", USDC, WETH, 500, me, 120 * 10**18),
    ),
    "SR02.exactInput": lambda me: (
        SR02,
        exact_input("SwapRouter02", path(WBTC, 500, WETH, 500, USDC, 100, USDT), me, 3 * 10**8),
    ),
    "SR02.exactOutput": lambda me: (
        SR02,
        exact_output("SwapRouter02", path(USDT, 500, WETH, 3000, DAI), me, 150_000 * 10**6),
    ),
    "SR02.multicall": lambda me: (
        SR02,
        multicall(
            "SwapRouter02",
            [
                exact_input_single("SwapRouter02", USDC, WETH, 500, me, 100_000 * 10**6),
                exact_input("SwapRouter02", path(DAI, 100, USDC, 100, USDT), me, 70_000 * 10**18),
            ],
        ),
    ),
    "UR.V3_SWAP_EXACT_IN": lambda me: (
        UNIVERSAL_ROUTER,
        universal([(V3_SWAP_EXACT_IN, ur_v3_swap(me, 250_000 * 10**6, 0, path(USDC, 500, WETH, 500, WBTC)))]),
    ),
    "UR.V3_SWAP_EXACT_OUT": lambda me: (
        UNIVERSAL_ROUTER,
        universal([(V3_SWAP_EXACT_OUT, ur_v3_swap(me, 90 * 10**18, 2**200, path(WETH, 500, USDC)))]),
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shape_decodes_to_what_the_router_swapped(
    jit: Jit, pools: Universe, shape: str, fifo_roles: Roles
) -> None:
    to, data = SHAPES[shape](jit.victim)
    if to == UNIVERSAL_ROUTER:
        ensure_universal_router(jit.node, fifo_roles.deployer)
        permit2 = jit.node.contract("Permit2", mainnet.PERMIT2)
        _approve_all(jit, mainnet.PERMIT2)
        for token in (USDC, WETH, USDT, DAI, WBTC):
            permit2.transact("approve", token, UNIVERSAL_ROUTER, 2**160 - 1, 2**47, sender=jit.victim)
    else:
        _approve_all(jit, to)
    decoded = _prove(jit, pools, to, data)
    assert len(decoded.legs) >= 1
    if shape.endswith(("exactInput", "exactOutput", "multicall", "EXACT_IN")) and len(decoded.legs) > 1:
        assert any(leg.derived for leg in decoded.legs)


def test_universal_router_wrap_eth_then_swap_contract_balance(
    jit: Jit, pools: Universe, fifo_roles: Roles
) -> None:
    ensure_universal_router(jit.node, fifo_roles.deployer)
    value = 40 * 10**18
    wrap = (WRAP_ETH, ur_v3_swap_wrap(UNIVERSAL_ROUTER, UR_CONTRACT_BALANCE))
    swap = (V3_SWAP_EXACT_IN, ur_v3_swap(jit.victim, UR_CONTRACT_BALANCE, 0, path(WETH, 3000, USDC), False))
    decoded = _prove(jit, pools, UNIVERSAL_ROUTER, universal([wrap, swap]), value=value)
    assert decoded.legs[0].amount_specified == value


def ur_v3_swap_wrap(recipient: str, amount: int) -> bytes:
    return encode(["address", "uint256"], [recipient, amount])


def test_direct_pool_swap_decodes_to_what_the_pool_swapped(
    jit: Jit, pools: Universe, fifo_roles: Roles
) -> None:
    """A pool called directly: only an account with code can pay the callback, so the victim's account gets
    PoolActor's code (which pays from its own balance) and signs the call as usual."""
    pool = mainnet.v3_pool_address(USDC, WETH, 500)
    actor = jit.node.deploy(fifo_roles.deployer, artifacts.load("PoolActor").bytecode)
    jit.node.set_code(jit.victim, jit.node.code(actor))
    iface = jit.node.contract("UniswapV3Pool", pool).interface
    data = iface.encode("swap", jit.victim, False, 10**18 * 250, MAX_SQRT_RATIO - 1, b"")
    decoded = _prove(jit, pools, pool, data)
    (leg,) = decoded.legs
    assert (leg.pool, leg.zero_for_one, leg.amount_specified, leg.token_in) == (
        pool,
        False,
        250 * 10**18,
        WETH,
    )
    # the router's "0 = no limit" does not hold for a direct call: the pool would revert SPL
    zero_limit = sign(jit.node, jit.victim_key, pool, iface.encode("swap", jit.victim, False, 10**18, 0, b""))
    skipped = _decoder(pools).decode(zero_limit)
    assert isinstance(skipped, Skip) and skipped.reason == "swap_reverts"


def test_everything_else_is_skipped_with_a_reason(jit: Jit, pools: Universe, node: Node) -> None:
    decoder = _decoder(pools)
    key = jit.victim_key
    usdc = node.contract("MintableERC20", USDC).interface
    v2 = node.contract("UniswapV2Router02", mainnet.V2_ROUTER_02).interface
    cases = {
        "unknown_target": sign(node, key, USDC, usdc.encode("transfer", jit.stranger, 1)),
        "no_calldata": sign(node, key, jit.stranger, b"", value=1),
        "unknown_selector": sign(
            node, key, SR02, v2.encode("swapExactTokensForTokens", 1, 0, [USDC, WETH], jit.victim, 2**40)
        ),
        "amount_from_router_balance": sign(
            node, key, SR02, exact_input_single("SwapRouter02", USDC, WETH, 500, jit.victim, 0)
        ),
        "unknown_pool": sign(
            node, key, SR, exact_input_single("SwapRouter", USDC, WETH, 10000, jit.victim, 10**6)
        ),
        "bad_path": sign(node, key, SR, exact_input("SwapRouter", b"\x01" * 30, jit.victim, 10**6)),
        "bad_calldata": sign(
            node, key, SR, exact_input_single("SwapRouter", USDC, WETH, 500, jit.victim, 1)[:40]
        ),
    }
    for reason, raw in cases.items():
        result = decoder.decode(raw)
        assert isinstance(result, Skip) and result.reason == reason, (reason, result)
        assert result.sender == jit.victim
    for garbage in (b"", b"\x02\x01", b"\xff" * 80, "0xzz"):
        result = decoder.decode(garbage)
        assert isinstance(result, Skip) and result.reason == "malformed_tx"
