"""`check` without a chain, and `parse_order` on hostile bytes: every refusal has its code, never a traceback.

What needs the chain (nonces, balances, allowances, and the reactor's agreement) is proven in
test_fill_on_chain.py; here each code that needs no chain state is produced offline, and random bytes or
mutated encodings of every kind either parse or come back `malformed`.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.intents.uniswapx import CODES, MalformedOrder, check, parse_order

from .factory import COSIGNER_KEY, KINDS, OTHER, OTHER_KEY, SWAPPER_KEY, make_order

NOW, BLOCK = 1_900_000_000, 21_000_000
AT = {"now": NOW + 1, "block_number": BLOCK + 1}


def _codes(order, signature, **context) -> list[str]:
    return [r.code for r in check(order, signature, **{**AT, **context})]


@pytest.mark.parametrize("kind", KINDS)
def test_valid_orders_pass(kind: str) -> None:
    order = make_order(kind, now=NOW, block=BLOCK)
    assert _codes(order, order.sign(SWAPPER_KEY)) == []


@pytest.mark.parametrize("kind", KINDS)
def test_each_offline_code(kind: str) -> None:
    order = make_order(kind, now=NOW, block=BLOCK)
    assert _codes(order, order.sign(OTHER_KEY)) == ["invalid_signature"]
    assert _codes(order, b"\x01" * 64 + b"\x1d") == ["invalid_signature"]  # v = 29: ecrecover gives 0
    assert _codes(order, b"short") == ["invalid_signature"]
    mainnet_signed = dataclasses.replace(order, chain_id=1).sign(SWAPPER_KEY)
    assert _codes(order, mainnet_signed) == ["wrong_chain"]
    assert _codes(order, order.sign(SWAPPER_KEY), now=order.info.deadline + 1)[0] == "expired_deadline"
    moved = dataclasses.replace(order, info=dataclasses.replace(order.info, reactor=OTHER))
    moved = moved.cosign(COSIGNER_KEY) if kind != "dutch" else moved
    assert "unknown_reactor" in _codes(moved, moved.sign(SWAPPER_KEY))
    if kind != "dutch":
        early = order
        if kind == "priority":  # the cosignature counts only when it opens the auction early
            early = dataclasses.replace(order, auction_target_block=BLOCK - 5)
        at = BLOCK - 1 if kind == "priority" else BLOCK + 1
        wrong = early.cosign(OTHER_KEY)
        assert _codes(wrong, wrong.sign(SWAPPER_KEY), block_number=at) == ["invalid_cosignature"]
        opened = early.cosign(COSIGNER_KEY)
        assert _codes(opened, opened.sign(SWAPPER_KEY), block_number=at) == []
    if kind != "priority":
        until = NOW + 600 if kind != "v3_dutch" else BLOCK + 50
        strict = make_order(kind, now=NOW, block=BLOCK, exclusive_filler=OTHER, exclusive_until=until)
        assert _codes(strict, strict.sign(SWAPPER_KEY)) == ["not_exclusive_filler"]
        assert _codes(strict, strict.sign(SWAPPER_KEY), filler=OTHER) == []  # the exclusive filler may
        lenient = make_order(
            kind, now=NOW, block=BLOCK, exclusive_filler=OTHER, exclusive_until=until, override_bps=30
        )
        assert _codes(lenient, lenient.sign(SWAPPER_KEY)) == []  # others may, paying 0.3% more
        resolved = lenient.resolve(timestamp=NOW + 1, block_number=BLOCK + 1, base_fee=0, filler=None)
        exclusive = lenient.resolve(timestamp=NOW + 1, block_number=BLOCK + 1, base_fee=0, filler=OTHER)
        assert resolved.outputs[0].amount > exclusive.outputs[0].amount
    else:
        assert _codes(order, order.sign(SWAPPER_KEY), block_number=BLOCK - 1) == ["decay_not_started"]


def test_structurally_invalid_orders_name_the_reactor_error() -> None:
    order = make_order("dutch", now=NOW, block=BLOCK)
    short = dataclasses.replace(
        order, info=dataclasses.replace(order.info, deadline=order.decay_end_time - 1)
    )
    (rejection,) = check(short, short.sign(SWAPPER_KEY), now=NOW)
    assert rejection.code == "invalid_order" and "DeadlineBeforeEndTime" in rejection.reason


def test_codes_are_the_documented_set() -> None:
    assert set(CODES) >= {
        "invalid_signature", "invalid_cosignature", "expired_deadline", "wrong_chain", "unknown_reactor",
        "nonce_used", "insufficient_balance", "insufficient_allowance", "not_exclusive_filler",
        "decay_not_started", "malformed",
    }  # fmt: skip


ENCODED = {kind: make_order(kind, now=NOW, block=BLOCK, extra_output=True).encode() for kind in KINDS}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_hostile_bytes_parse_or_are_malformed(kind: str, data: st.DataObject) -> None:
    """Truncations, bit flips, splices and random bytes: parse_order returns an order or MalformedOrder;
    check turns the latter into a single `malformed` rejection."""
    original = ENCODED[kind]
    mutation = data.draw(st.sampled_from(["truncate", "flip", "splice", "random"]))
    if mutation == "truncate":
        raw = original[: data.draw(st.integers(0, len(original) - 1))]
    elif mutation == "flip":
        at = data.draw(st.integers(0, len(original) - 1))
        raw = original[:at] + bytes([original[at] ^ data.draw(st.integers(1, 255))]) + original[at + 1 :]
    elif mutation == "splice":
        at = data.draw(st.integers(0, len(original)))
        raw = original[:at] + data.draw(st.binary(max_size=64)) + original[at:]
    else:
        raw = data.draw(st.binary(max_size=800))
    try:
        parse_order(raw, kind=kind, chain_id=31337)
    except MalformedOrder as err:
        assert err.code == "malformed"
        codes = [r.code for r in check(raw, b"\x00" * 65, kind=kind, chain_id=31337, now=NOW)]
        assert codes == ["malformed"]
