"""Python and the official SDK (@uniswap/uniswapx-sdk 3.1.0) agree on every order kind: the ABI bytes, the
order hash, the Permit2 witness digest, the swapper's signature and signer, and the cosignature digest.

Where the SDK disagrees with the reactors (its V2/Priority `recoverCosigner` uses EIP-191), the chain wins:
tests/intents/uniswapx/test_reactors_on_chain.py fills those orders on the real reactors.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data

from solver.intents.uniswapx import Order, parse_order

from .factory import COSIGNER, COSIGNER_KEY, KINDS, SWAPPER, SWAPPER_KEY, make_order, sdk_request

NOW, BLOCK = 1_900_000_000, 21_000_000


def variants() -> dict[str, Order]:
    """Each kind plainly, with a second output, exact-out, and exclusive with an override."""
    out: dict[str, Order] = {}
    for kind in KINDS:
        out[kind] = make_order(kind, now=NOW, block=BLOCK, nonce=2**248 + 7)
        out[f"{kind} two outputs"] = make_order(kind, now=NOW, block=BLOCK, extra_output=True, nonce=5)
        out[f"{kind} exact out"] = make_order(kind, now=NOW, block=BLOCK, exact_out=True, nonce=6)
        out[f"{kind} exclusive"] = make_order(
            kind, now=NOW, block=BLOCK, exclusive_filler=COSIGNER, override_bps=25, nonce=7
        )
    return out


ORDERS = variants()


@pytest.fixture(scope="module")
def sdk_built(sdk) -> dict[str, dict]:
    requests = [
        sdk_request(order, swapper_key=SWAPPER_KEY, cosigner_key=COSIGNER_KEY) for order in ORDERS.values()
    ]
    return dict(zip(ORDERS, sdk(requests), strict=True))


@pytest.fixture(scope="module")
def sdk_parsed(sdk) -> dict[str, dict]:
    """The SDK parsing our bytes (full cosigned encodings) and serialising them again."""
    requests = [
        {"kind": o.KIND, "chainId": o.chain_id, "permit2": o.permit2, "encoded": "0x" + o.encode().hex()}
        for o in ORDERS.values()
    ]
    return dict(zip(ORDERS, sdk(requests), strict=True))


@pytest.mark.parametrize("name", list(ORDERS))
def test_bytes_hash_and_digest_agree(sdk_built: dict[str, dict], name: str) -> None:
    order, sdk = ORDERS[name], sdk_built[name]
    assert sdk["encoded"] == "0x" + order.encode().hex()
    assert sdk["hash"] == order.hash
    assert sdk["permitDigest"] == "0x" + order.permit_digest().hex()
    assert parse_order(sdk["encoded"], kind=order.KIND, chain_id=order.chain_id) == order


@pytest.mark.parametrize("name", list(ORDERS))
def test_sdk_reads_our_bytes(sdk_parsed: dict[str, dict], name: str) -> None:
    order, sdk = ORDERS[name], sdk_parsed[name]
    assert sdk["reencoded"] == "0x" + order.encode().hex()
    assert sdk["hash"] == order.hash
    assert sdk["permitDigest"] == "0x" + order.permit_digest().hex()


@pytest.mark.parametrize("name", list(ORDERS))
def test_signatures_agree(sdk_built: dict[str, dict], name: str) -> None:
    """The SDK's (ethers') signature and ours (eth-account) are the same deterministic RFC 6979 signature."""
    order, sdk = ORDERS[name], sdk_built[name]
    ours = order.sign(SWAPPER_KEY)
    assert sdk["signature"] == "0x" + ours.hex()
    assert sdk["signer"] == order.signer(ours) == SWAPPER
    digest = _hash_eip191_message(encode_typed_data(full_message=order.typed_data()))
    assert digest == order.permit_digest()  # the fast path equals eth-account's encode_typed_data


@pytest.mark.parametrize("kind", ["v2_dutch", "v3_dutch", "priority"])
def test_cosignature_digest_agrees_and_the_chain_rule_wins(sdk_built: dict[str, dict], kind: str) -> None:
    order, sdk = ORDERS[kind], sdk_built[kind]
    assert sdk["cosignatureHash"] == "0x" + order.cosigner_digest().hex()
    assert sdk["cosignature"] == "0x" + order.cosignature.hex()
    assert order.recover_cosigner() == COSIGNER
    if kind == "v3_dutch":
        assert sdk["sdkRecoveredCosigner"] == COSIGNER
    else:
        # the SDK recovers an EIP-191 signature of the digest's hex text; the reactor ecrecovers the raw
        # digest (CosignerLib / V2DutchOrderReactor), which is what we do — and the on-chain fills agree
        assert sdk["sdkRecoveredCosigner"] != COSIGNER
        assert Account._recover_hash(order.cosigner_digest(), signature=order.cosignature) == COSIGNER
