"""weightedProduct (v0 and v3Plus) and stable (plain and composable) against Balancer's published bytecode.

Real Vault, WeightedPoolFactory (the original, whose pools are "v0"), WeightedPoolFactory v3 ("v3Plus"),
StablePoolFactory v2 and ComposableStablePoolFactory v3 from `@balancer-labs/v2-deployments` run on an empty
anvil (see balancer_chain.py). Pools of 18-, 6- and 8-decimal tokens are created and initialised; each is
then written out as the driver would send it (balances, scaling factors, weights or amplification, fee) and
parsed, and every quote of the parsed liquidity must equal what the Vault's queryBatchSwap returns, exact in
and exact out, to the wei, or be refused where the pool reverts (MAX_IN_RATIO, MAX_OUT_RATIO, ...).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from solver.intents.cow.liquidity import InfeasibleSwap, Liquidity, parse_liquidity_entry

from .balancer_chain import GIVEN_IN, GIVEN_OUT, BalancerChain, available, balancer_chain

pytestmark = pytest.mark.skipif(not available(), reason="needs `npm ci` (@balancer-labs/v2-deployments)")
ONE = 10**18
DECIMALS = {"A": 18, "B": 18, "U": 6, "W": 8}


def _decimal(fixed: int) -> str:
    """An 18-decimal integer as the decimal string the driver sends ("0.8", "1000000000000")."""
    text = f"{fixed // ONE}.{fixed % ONE:018d}".rstrip("0")
    return text.rstrip(".")


@pytest.fixture(scope="module")
def balancer() -> Iterator[tuple[BalancerChain, dict[str, str]]]:
    with balancer_chain() as bc:
        tokens = {symbol: bc.deploy_token(symbol, decimals).lower() for symbol, decimals in DECIMALS.items()}
        yield bc, tokens


def _entry_common(pool: Any, bc: BalancerChain, kind: str) -> tuple[dict, bytes, list[str], list[int]]:
    pool_id = pool.call("getPoolId")
    tokens, balances, _ = bc.vault.call("getPoolTokens", pool_id)
    entry = {
        "kind": kind,
        "id": "0",
        "address": pool.address,
        "balancerPoolId": "0x" + pool_id.hex(),
        "gasEstimate": "88892",
        "fee": _decimal(pool.call("getSwapFeePercentage")),
    }
    return entry, pool_id, [t.lower() for t in tokens], list(balances)


def weighted_entry(
    pool: Any, bc: BalancerChain, version: str, decimals: dict[str, int]
) -> tuple[dict, bytes]:
    entry, pool_id, tokens, balances = _entry_common(pool, bc, "weightedProduct")
    weights = pool.call("getNormalizedWeights")
    entry["version"] = version
    entry["tokens"] = {
        t: {"balance": str(b), "scalingFactor": str(10 ** (18 - decimals[t])), "weight": _decimal(w)}
        for t, b, w in zip(tokens, balances, weights, strict=True)
    }
    return entry, pool_id


def stable_entry(pool: Any, bc: BalancerChain, decimals: dict[str, int]) -> tuple[dict, bytes]:
    entry, pool_id, tokens, balances = _entry_common(pool, bc, "stable")
    if "getScalingFactors" in pool.interface.functions:
        scaling = pool.call("getScalingFactors")
    else:  # the plain StablePool does not expose them: 10^(18 - decimals), as the driver computes them
        scaling = [10 ** (36 - decimals[t]) for t in tokens]
    amp, _, precision = pool.call("getAmplificationParameter")
    entry["amplificationParameter"] = f"{amp // precision}.{amp % precision:03d}"
    entry["tokens"] = {
        t: {"balance": str(b), "scalingFactor": _decimal(s)}
        for t, b, s in zip(tokens, balances, scaling, strict=True)
    }
    return entry, pool_id


def compare(
    bc: BalancerChain, model: Liquidity, pool_id: bytes, rng: random.Random, balances: dict[str, int]
) -> int:
    """Random swaps of up to ~40% of a balance, all directions, both kinds; returns how many were feasible."""
    feasible = 0
    tokens = list(model.tokens)
    for _ in range(24):
        tin, tout = rng.sample(tokens, 2)
        for kind, side in ((GIVEN_IN, tin), (GIVEN_OUT, tout)):
            amount = max(
                int(balances[side] * rng.choice((1e-9, 1e-4, 0.01, 0.1, 0.29, 0.4)) * rng.random()), 1
            )
            expected = bc.query(pool_id, kind, tin, tout, amount)
            quote = model.quote_exact_in if kind == GIVEN_IN else model.quote_exact_out
            if expected is None:
                with pytest.raises(InfeasibleSwap):
                    quote(tin, tout, amount)
                continue
            got = quote(tin, tout, amount)
            assert got == expected, (kind, tin, tout, amount)
            feasible += 1
    return feasible


WEIGHT_SETS = [
    ("A", "B", [5 * 10**17, 5 * 10**17]),
    ("A", "U", [8 * 10**17, 2 * 10**17]),
    ("U", "W", [2 * 10**17, 8 * 10**17]),
    ("B", "W", [6 * 10**17, 4 * 10**17]),
    ("A", "U", [98 * 10**16, 2 * 10**16]),
]


@pytest.mark.parametrize("version", ["v0", "v3Plus"])
@pytest.mark.parametrize("weights", range(len(WEIGHT_SETS) + 1))
def test_weighted_pools_match_the_vault(
    balancer: tuple[BalancerChain, dict[str, str]], version: str, weights: int
) -> None:
    bc, tokens = balancer
    rng = random.Random(f"{version}-{weights}")
    if weights < len(WEIGHT_SETS):
        s1, s2, ws = WEIGHT_SETS[weights]
        symbols = [s1, s2]
    else:  # three tokens
        symbols, ws = ["A", "U", "W"], [5 * 10**17, 3 * 10**17, 2 * 10**17]
    pairs = sorted(zip((tokens[s] for s in symbols), ws, strict=True), key=lambda p: int(p[0], 16))
    decimals = {tokens[s]: DECIMALS[s] for s in DECIMALS}
    fee = rng.choice((10**15, 3 * 10**15, 25 * 10**14, 10**16))
    pool = bc.create_weighted(version, [p[0] for p in pairs], [p[1] for p in pairs], fee)
    amounts = {t: rng.randrange(10**3, 10**8) * 10 ** decimals[t] for t, _ in pairs}
    bc.initialise(pool, amounts)
    entry, pool_id = weighted_entry(pool, bc, version, decimals)
    model = parse_liquidity_entry(entry)
    assert compare(bc, model, pool_id, rng, amounts) > 20


@pytest.mark.parametrize("composable", [True, False], ids=["composable", "plain"])
@pytest.mark.parametrize("amp", [1, 50, 200, 2000, 5000])
def test_stable_pools_match_the_vault(
    balancer: tuple[BalancerChain, dict[str, str]], amp: int, composable: bool
) -> None:
    """ComposableStablePool v3 (its BPT registered among its tokens) and the plain StablePool v2."""
    bc, tokens = balancer
    rng = random.Random(f"stable-{amp}-{composable}")
    symbols = ["A", "U", "W"] if amp % 2 else ["A", "B", "U", "W"]
    members = sorted((tokens[s] for s in symbols), key=lambda t: int(t, 16))
    decimals = {tokens[s]: DECIMALS[s] for s in DECIMALS}
    create = bc.create_composable_stable if composable else bc.create_stable
    pool = create(members, amp, rng.choice((10**14, 4 * 10**14, 10**15)))
    amounts = {t: rng.randrange(10**5, 10**7) * 10 ** decimals[t] for t in members}
    bc.initialise(pool, amounts)
    entry, pool_id = stable_entry(pool, bc, decimals)
    # a composable pool's BPT is among its registered tokens, and the driver sends it
    assert (pool.address.lower() in entry["tokens"]) is composable
    model = parse_liquidity_entry(entry)
    assert set(model.tokens) == set(members)
    assert compare(bc, model, pool_id, rng, amounts) > 20
