"""Parsing the auction's `liquidity` array: what the driver's DTOs send is accepted, anything malformed is a
MalformedLiquidity (a ValueError, for HTTP 400) whose single-line message names the field."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.intents.cow.liquidity import (
    ConcentratedLiquidityPool,
    ForeignLimitOrder,
    MalformedLiquidity,
    StablePool,
    WeightedProductPool,
    parse_liquidity,
)

TA, TB, TC = "0x" + "0a" * 20, "0x" + "0b" * 20, "0x" + "0c" * 20
PID = "0x5c78d05b8ecf97507d1cf70646082c54faa4da950000000000000000000005ca"
COMMON = {"id": "1", "address": "0x" + "99" * 20, "gasEstimate": "100000"}

ENTRIES = {
    "constantProduct": {
        "kind": "constantProduct",
        "tokens": {TA: {"balance": "1000000"}, TB: {"balance": "0xf4240"}},
        "fee": "0.003",
        "router": "0x" + "77" * 20,
        **COMMON,
    },
    "weightedProduct": {
        "kind": "weightedProduct",
        "tokens": {
            TA: {"balance": "1000000000000000000", "scalingFactor": "1", "weight": "0.8"},
            TB: {"balance": "2000000", "scalingFactor": "1000000000000", "weight": "0.2"},
        },
        "fee": "0.003",
        "version": "v0",
        "balancerPoolId": PID,
        **COMMON,
    },
    "stable": {
        "kind": "stable",
        "tokens": {
            TA: {"balance": "1000000000000000000", "scalingFactor": "1"},
            TB: {"balance": "1000000", "scalingFactor": "1000000000000"},
            TC: {"balance": "1000000", "scalingFactor": "1000000000000"},
        },
        "fee": "0.0004",
        "amplificationParameter": "200.0",
        "balancerPoolId": PID,
        **COMMON,
    },
    "concentratedLiquidity": {
        "kind": "concentratedLiquidity",
        "tokens": [TA, TB],
        "sqrtPrice": "79228162514264337593543950336",
        "liquidity": "1000000000000000000",
        "tick": 0,
        "liquidityNet": {"-60": "1000000000000000000", "60": "-1000000000000000000"},
        "fee": "0.003",
        "router": "0x" + "77" * 20,
        **COMMON,
    },
    "limitOrder": {
        "kind": "limitOrder",
        "hash": "0x" + "ab" * 32,
        "makerToken": TA,
        "takerToken": TB,
        "makerAmount": "300",
        "takerAmount": "100",
        "takerTokenFeeAmount": "10",
        **COMMON,
    },
}


def test_every_kind_parses() -> None:
    pools = parse_liquidity(list(ENTRIES.values()))
    assert [p.kind for p in pools] == list(ENTRIES)
    for p in pools:
        assert p.id == "1" and p.address == "0x" + "99" * 20 and p.gas_estimate == 100000
    cp, w, s, c, lo = pools
    assert cp.reserves == {TA: 1_000_000, TB: 1_000_000}  # hex amounts are HexOrDecimalU256 too
    assert isinstance(w, WeightedProductPool) and w.weights == {TA: 8 * 10**17, TB: 2 * 10**17}
    assert w.scaling_factors == {TA: 10**18, TB: 10**30} and w.swap_fee == 3 * 10**15
    assert isinstance(s, StablePool) and s.amplification == 200_000 and s.tokens == (TA, TB, TC)
    assert isinstance(c, ConcentratedLiquidityPool) and c.quote_exact_in(TA, TB, 1000) == 996
    assert isinstance(lo, ForeignLimitOrder) and lo.hash == "0x" + "ab" * 32


def test_checksummed_and_yaml_spellings() -> None:
    """Mixed-case addresses are normalised; the YAML's `balancer_pool_id` is read when the DTO's is absent."""
    entry = copy.deepcopy(ENTRIES["weightedProduct"])
    entry["tokens"] = {k.upper().replace("0X", "0x"): v for k, v in entry["tokens"].items()}
    entry["balancer_pool_id"] = entry.pop("balancerPoolId")
    [pool] = parse_liquidity([entry])
    assert pool.tokens == (TA, TB)
    assert pool.balancer_pool_id == PID


def _without(kind: str, key: str) -> dict:
    entry = copy.deepcopy(ENTRIES[kind])
    del entry[key]
    return entry


def _with(kind: str, **changes: object) -> dict:
    return {**copy.deepcopy(ENTRIES[kind]), **changes}


MALFORMED = [
    ("not an object", "oops", "liquidity[0]: expected an object"),
    ("unknown kind", {"kind": "curve", **COMMON}, "liquidity[0].kind"),
    ("no id", _without("constantProduct", "id"), "missing field `id`"),
    ("no gasEstimate", _without("stable", "gasEstimate"), "missing field `gasEstimate`"),
    ("bad address", _with("limitOrder", address="0x1234"), ".address: not an address"),
    (
        "three cp tokens",
        _with("constantProduct", tokens={TA: {"balance": "1"}, TB: {"balance": "1"}, TC: {"balance": "1"}}),
        "exactly 2 tokens",
    ),
    (
        "negative balance",
        _with("constantProduct", tokens={TA: {"balance": "-1"}, TB: {"balance": "1"}}),
        ".balance: not a uint256",
    ),
    (
        "number balance",
        _with("constantProduct", tokens={TA: {"balance": 5}, TB: {"balance": "1"}}),
        ".balance: expected a decimal or 0x-hex",
    ),
    (
        "balance over u112",
        _with("constantProduct", tokens={TA: {"balance": str(1 << 112)}, TB: {"balance": "1"}}),
        "exceeds uint112",
    ),
    ("fee not decimal", _with("constantProduct", fee="three"), ".fee: not a non-negative decimal"),
    ("fee of 100%", _with("constantProduct", fee="1"), "fee must be"),
    (
        "duplicate token",
        _with(
            "constantProduct", tokens={TA: {"balance": "1"}, TA.upper().replace("0X", "0x"): {"balance": "1"}}
        ),
        "duplicate token",
    ),
    (
        "no weight",
        _with(
            "weightedProduct",
            tokens={
                TA: {"balance": "1", "scalingFactor": "1"},
                TB: {"balance": "1", "scalingFactor": "1", "weight": "0.5"},
            },
        ),
        "missing field `weight`",
    ),
    (
        "zero scaling",
        _with(
            "stable",
            tokens={TA: {"balance": "1", "scalingFactor": "0"}, TB: {"balance": "1", "scalingFactor": "1"}},
        ),
        ".scalingFactor: must be",
    ),
    ("bad version", _with("weightedProduct", version="v2"), ".version: expected v0 or v3Plus"),
    ("no version", _without("weightedProduct", "version"), "missing field `version`"),
    ("no pool id", _without("stable", "balancerPoolId"), "missing field `balancerPoolId`"),
    ("short pool id", _with("stable", balancerPoolId="0x1234"), "balancerPoolId: not 32 hex bytes"),
    ("no amp", _without("stable", "amplificationParameter"), "missing field `amplificationParameter`"),
    ("tick as string", _with("concentratedLiquidity", tick="0"), ".tick: expected an i32"),
    (
        "liquidity as number",
        _with("concentratedLiquidity", liquidity=5),
        ".liquidity: expected an integer string",
    ),
    ("liquidity over u128", _with("concentratedLiquidity", liquidity=str(1 << 128)), "out of range for u128"),
    ("bad net key", _with("concentratedLiquidity", liquidityNet={"x": "1"}), "liquidityNet[x] key"),
    ("tick out of range", _with("concentratedLiquidity", liquidityNet={"900000": "1"}), "outside [-887272"),
    ("one token", _with("concentratedLiquidity", tokens=[TA]), ".tokens: expected an array of 2"),
    ("sqrtPrice zero", _with("concentratedLiquidity", sqrtPrice="0"), "sqrt_price_x96"),
    ("same tokens", _with("limitOrder", takerToken=TA), "same token"),
    ("no makerAmount", _without("limitOrder", "makerAmount"), "missing field `makerAmount`"),
    ("bad hash", _with("limitOrder", hash="0x12"), ".hash: not 32 hex bytes"),
]


@pytest.mark.parametrize(("entry", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_entries_are_refused(entry: object, message: str) -> None:
    with pytest.raises(MalformedLiquidity) as info:
        parse_liquidity([entry])
    text = str(info.value)
    assert isinstance(info.value, ValueError)
    assert message in text
    assert "\n" not in text and text.startswith("liquidity[0]")


def test_array_itself_must_be_an_array() -> None:
    with pytest.raises(MalformedLiquidity, match="liquidity: expected an array"):
        parse_liquidity({"kind": "stable"})


def test_unknown_fields_are_ignored() -> None:
    """serde ignores fields it does not know; so do we (the driver adds fields over time)."""
    [pool] = parse_liquidity([_with("constantProduct", somethingNew={"x": 1})])
    assert pool.kind == "constantProduct"


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**300)
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(["0x", "0x" + "f" * 70, "1" * 5000, "1e999", "-5", "0.5", TA, "0x" + "ab" * 32])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(sorted(ENTRIES)),
    path=st.lists(st.integers(0, 10), min_size=1, max_size=3),
    value=json_values,
)
def test_any_mutation_parses_or_is_malformed(kind: str, path: list[int], value: object) -> None:
    """Replace one field (at any depth) of a valid entry by an arbitrary JSON value: the parse either
    succeeds or raises MalformedLiquidity with a one-line message, never anything else (no HTTP 500)."""
    entry = copy.deepcopy(ENTRIES[kind])
    node: object = entry
    for step in path:
        if not isinstance(node, dict) or not node:
            break
        key = sorted(node)[step % len(node)]
        if step == path[-1] or not isinstance(node[key], dict):
            node[key] = value
            break
        node = node[key]
    try:
        parse_liquidity([entry])
    except MalformedLiquidity as exc:
        assert "\n" not in str(exc)
