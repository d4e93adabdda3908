"""Smoke test of the SDK oracle (sdk_oracle.mjs): per order kind, the SDK's outputs are mutually consistent.

Only what the SDK itself implies is checked: the swapper signature made over `permitData` recovers (via the
SDK's getSigner) to the key's address, the JSON `permitData` hashes (in eth-account) to the SDK's digest,
parse(serialize(order)) gives the same bytes, and the cosignature is the raw ECDSA signature of the SDK's
cosignatureHash. Two node runs in all: one builds every order, one parses every encoding back.

Two SDK quirks are pinned here, so an SDK upgrade that changes them shows up:
UnsignedV3DutchOrder.serialize() writes the input curve's relativeBlocks into every output curve, and the
V2/Priority recoverCosigner() recovers an EIP-191 signature of the hash's hex text rather than the raw ECDSA
signature the reactors check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct, encode_typed_data

Sdk = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]

# anvil's first two dev accounts (mnemonic "test test ... junk", m/44'/60'/0'/0/{0,1})
SWAPPER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
COSIGNER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
SWAPPER = Account.from_key(SWAPPER_KEY).address
COSIGNER = Account.from_key(COSIGNER_KEY).address

USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
REACTORS = {
    "dutch": "0x6000da47483062A0D734Ba3dc7576Ce6A0B645C4",
    "v2_dutch": "0x00000011F84B9aa48e5f8aA8B9897600006289Be",
    "v3_dutch": "0x0000000015757c461808EA25Eb309638B62681cf",
    "priority": "0x000000001Ec5656dcdB24D90DFa42742738De729",
}
CHAIN_ID = 31337
ZERO = "0x0000000000000000000000000000000000000000"
FILLER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"  # anvil account 2
DEADLINE = 1_900_000_000
START = 1_899_999_000
USDC_IN = 2_500 * 10**6  # 2500 USDC for about one WETH
WETH_OUT = 10**18
EIP712_DOMAIN_FIELDS = [
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
]


def order_info(kind: str, nonce: int) -> dict[str, Any]:
    return {
        "reactor": REACTORS[kind],
        "swapper": SWAPPER,
        "nonce": str(nonce),
        "deadline": str(DEADLINE),
        "additionalValidationContract": ZERO,
        "additionalValidationData": "0x",
    }


def base(kind: str) -> dict[str, Any]:
    return {"kind": kind, "chainId": CHAIN_ID, "permit2": PERMIT2, "swapperKey": SWAPPER_KEY}


def dutch_request() -> dict[str, Any]:
    order = {
        **order_info("dutch", 1_993_353_603_542_012_321_019_102_334_232_532_812_113),
        "decayStartTime": str(START),
        "decayEndTime": str(START + 60),
        "exclusiveFiller": FILLER,
        "exclusivityOverrideBps": "100",
        "input": {"token": USDC, "startAmount": str(USDC_IN), "endAmount": str(USDC_IN)},
        "outputs": [
            {
                "token": WETH,
                "startAmount": str(WETH_OUT),
                "endAmount": str(WETH_OUT * 99 // 100),
                "recipient": SWAPPER,
            },
            {"token": WETH, "startAmount": str(WETH_OUT // 400), "endAmount": "0", "recipient": FILLER},
        ],
    }
    return {**base("dutch"), "order": order, "resolveOptions": {"timestamp": str(START + 30)}}


def v2_request(cosigned: bool) -> dict[str, Any]:
    order = {
        **order_info("v2_dutch", 2**200 + 17),
        "cosigner": COSIGNER,
        "input": {"token": USDC, "startAmount": str(USDC_IN), "endAmount": str(USDC_IN)},
        "outputs": [
            {
                "token": WETH,
                "startAmount": str(WETH_OUT),
                "endAmount": str(WETH_OUT * 98 // 100),
                "recipient": SWAPPER,
            }
        ],
    }
    request = {**base("v2_dutch"), "order": order}
    if cosigned:
        request |= {
            "cosignerData": {
                "decayStartTime": str(START),
                "decayEndTime": str(START + 120),
                "exclusiveFiller": FILLER,
                "exclusivityOverrideBps": "50",
                "inputOverride": "0",
                "outputOverrides": [str(WETH_OUT * 101 // 100)],
            },
            "cosignerKey": COSIGNER_KEY,
            "resolveOptions": {"timestamp": str(START + 60)},
        }
    return request


def v3_request(cosigned: bool) -> dict[str, Any]:
    order = {
        **order_info("v3_dutch", 424_242),
        "cosigner": COSIGNER,
        "startingBaseFee": str(30 * 10**9),
        "input": {
            "token": USDC,
            "startAmount": str(USDC_IN),
            "curve": {"relativeBlocks": [], "relativeAmounts": []},
            "maxAmount": str(USDC_IN),
            "adjustmentPerGweiBaseFee": "0",
        },
        "outputs": [
            {
                "token": WETH,
                "startAmount": str(WETH_OUT),
                "curve": {
                    "relativeBlocks": [4, 10, 20],
                    "relativeAmounts": [str(10**15), str(10**16), str(-(10**14))],
                },
                "recipient": SWAPPER,
                "minAmount": str(WETH_OUT * 97 // 100),
                "adjustmentPerGweiBaseFee": str(10**12),
            }
        ],
    }
    request = {**base("v3_dutch"), "order": order}
    if cosigned:
        request |= {
            "cosignerData": {
                "decayStartBlock": "21000000",
                "exclusiveFiller": ZERO,
                "exclusivityOverrideBps": "0",
                "inputOverride": str(USDC_IN - 10**6),
                "outputOverrides": ["0"],
            },
            "cosignerKey": COSIGNER_KEY,
            "resolveOptions": {"currentBlock": "21000007"},
        }
    return request


def priority_request(cosigned: bool) -> dict[str, Any]:
    order = {
        **order_info("priority", 9),
        "cosigner": COSIGNER,
        "auctionStartBlock": "21000000",
        "baselinePriorityFeeWei": "0",
        "input": {"token": USDC, "amount": str(USDC_IN), "mpsPerPriorityFeeWei": "0"},
        "outputs": [
            {"token": WETH, "amount": str(WETH_OUT), "mpsPerPriorityFeeWei": "1", "recipient": SWAPPER},
        ],
    }
    request = {**base("priority"), "order": order}
    if cosigned:
        request |= {
            "cosignerData": {"auctionTargetBlock": "21000002"},
            "cosignerKey": COSIGNER_KEY,
            "resolveOptions": {"priorityFee": str(3 * 10**9), "currentBlock": "21000005"},
        }
    return request


REQUESTS = {
    "dutch": dutch_request(),
    "v2_dutch": v2_request(cosigned=False),
    "v2_dutch cosigned": v2_request(cosigned=True),
    "v3_dutch": v3_request(cosigned=False),
    "v3_dutch cosigned": v3_request(cosigned=True),
    "priority": priority_request(cosigned=False),
    "priority cosigned": priority_request(cosigned=True),
}


@pytest.fixture(scope="module")
def built(sdk: Sdk) -> dict[str, dict[str, Any]]:
    """The oracle's results for REQUESTS, by name (one node run)."""
    return dict(zip(REQUESTS, sdk(list(REQUESTS.values())), strict=True))


@pytest.fixture(scope="module")
def parsed(sdk: Sdk, built: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each built order's encoding parsed back by the SDK (one node run)."""
    requests = [
        {"kind": result["kind"], "chainId": CHAIN_ID, "permit2": PERMIT2, "encoded": result["encoded"]}
        for result in built.values()
    ]
    return dict(zip(REQUESTS, sdk(requests), strict=True))


def eth_account_digest(permit_data: dict[str, Any], primary_type: str) -> str:
    """The EIP-712 digest eth-account computes for the oracle's JSON permitData."""
    domain = permit_data["domain"]
    domain_type = [{"name": name, "type": type_} for name, type_ in EIP712_DOMAIN_FIELDS if name in domain]
    message = {
        "types": {"EIP712Domain": domain_type, **permit_data["types"]},
        "primaryType": primary_type,
        "domain": domain,
        "message": permit_data["values"],
    }
    return "0x" + _hash_eip191_message(encode_typed_data(full_message=message)).hex()


def lower(value: Any) -> Any:
    """`value` with every string lower-cased (parse returns checksummed addresses)."""
    if isinstance(value, dict):
        return {key: lower(item) for key, item in value.items()}
    if isinstance(value, list):
        return [lower(item) for item in value]
    return value.lower() if isinstance(value, str) else value


@pytest.mark.parametrize("name", list(REQUESTS))
def test_swapper_signature_and_permit_digest(built: dict[str, dict[str, Any]], name: str) -> None:
    result = built[name]
    assert result["signer"] == SWAPPER
    digest = bytes.fromhex(result["permitDigest"][2:])
    assert Account._recover_hash(digest, signature=result["signature"]) == SWAPPER
    assert result["permitPrimaryType"] == "PermitWitnessTransferFrom"
    assert eth_account_digest(result["permitData"], result["permitPrimaryType"]) == result["permitDigest"]
    assert result["permitData"]["domain"] == {
        "name": "Permit2",
        "chainId": str(CHAIN_ID),
        "verifyingContract": PERMIT2,
    }
    assert result["permitData"]["values"]["spender"] == REACTORS[result["kind"]]
    assert len(bytes.fromhex(result["hash"][2:])) == 32


@pytest.mark.parametrize("name", list(REQUESTS))
def test_parse_serialize_round_trip(
    built: dict[str, dict[str, Any]], parsed: dict[str, dict[str, Any]], name: str
) -> None:
    original, again = built[name], parsed[name]
    assert again["reencoded"] == again["encoded"] == original["encoded"]
    assert again["cosigned"] == original["cosigned"]
    if name == "v3_dutch":
        # SDK bug: UnsignedV3DutchOrder.serialize() packs the *input* curve's relativeBlocks into every output
        # curve (CosignedV3DutchOrder.serialize() packs each output's own), so an unsigned V3 encoding whose
        # output curves differ from the input's does not parse back to the same order
        [output] = again["info"]["outputs"]
        assert output["curve"]["relativeBlocks"] == ["0", "0", "0"]  # the input curve is empty
        assert again["hash"] != original["hash"]
        return
    for key in ("hash", "permitDigest", "unsignedEncoded", "cosignatureHash", "cosignature"):
        assert again.get(key) == original.get(key), key
    if original["cosigned"] or original["kind"] == "dutch":
        assert lower(again["info"]) == lower(original["info"])
    else:
        # an unsigned v2/v3/priority encoding carries the SDK's placeholder cosignerData and "0x" cosignature
        assert original["unsignedEncoded"] == original["encoded"]
        assert again["info"]["cosignature"] == "0x"
        placeholders = ("cosignerData", "cosignature")
        info = {key: item for key, item in again["info"].items() if key not in placeholders}
        assert lower(info) == lower(original["info"])


@pytest.mark.parametrize("kind", ["v2_dutch", "v3_dutch", "priority"])
def test_cosignature(built: dict[str, dict[str, Any]], kind: str) -> None:
    unsigned, cosigned = built[kind], built[f"{kind} cosigned"]
    assert cosigned["cosigned"] and not unsigned["cosigned"]
    # the cosigner data is outside the swapper's signed order
    for key in ("hash", "permitDigest", "unsignedEncoded"):
        assert cosigned[key] == unsigned[key], key
    assert cosigned["encoded"] != unsigned["encoded"]
    cosignature = cosigned["cosignature"]
    assert cosigned["info"]["cosignature"] == cosignature
    assert len(bytes.fromhex(cosignature[2:])) == 65 and cosignature[-2:] in ("1b", "1c")
    digest = bytes.fromhex(cosigned["cosignatureHash"][2:])
    # raw ECDSA over the 32-byte hash: what the reactor's ecrecover checks
    assert Account._recover_hash(digest, signature=cosignature) == COSIGNER
    if kind == "v3_dutch":
        assert cosigned["sdkRecoveredCosigner"] == COSIGNER
    else:
        # the SDK's V2/Priority recoverCosigner is ethers' verifyMessage(hashHex, sig): EIP-191 over the
        # 66-character hex *text* of the hash, so it names another address for an on-chain-valid cosignature
        as_text = encode_defunct(text=cosigned["cosignatureHash"])
        eip191 = Account.recover_message(as_text, signature=cosignature)
        assert cosigned["sdkRecoveredCosigner"] == eip191 != COSIGNER
    assert cosigned["resolved"] is not None, cosigned.get("resolveError")


def test_resolve_is_reported(built: dict[str, dict[str, Any]]) -> None:
    assert built["dutch"]["resolved"]["input"] == {"token": USDC, "amount": str(USDC_IN)}
    assert "resolved" not in built["v2_dutch"]  # no resolveOptions, no resolve
    v3 = built["v3_dutch cosigned"]["resolved"]
    assert v3["input"]["amount"] == str(USDC_IN - 10**6)  # the cosigner's input override, no input decay
