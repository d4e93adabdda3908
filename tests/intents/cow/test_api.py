"""`POST /solve` as a CoW driver calls it: auctions in the spec's shape, answers that validate against the
spec's schemas (the published openapi.yml, with the two places where the crate's DTOs, which the driver
really reads, differ from the YAML), solutions that settle on the real GPv2Settlement, 400s for malformed
requests, and the deadline honoured."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator, validate

from amm.chain import addresses as mainnet
from amm.chain.node import Node
from amm.chain.tokens import balance_of
from solver.intents.cow.api import auction_json, parse_auction, settlement_from_json
from solver.intents.cow.engine import CowEngine
from solver.intents.cow.order import CowOrder
from solver.intents.cow.server import CowServer
from solver.intents.cow.settlement import settle
from solver.intents.cow.signing import eip1271, presign, sign
from solver.routing.universe import Universe

SPEC = yaml.safe_load((Path(__file__).parent / "data" / "solvers-openapi.yml").read_text())
USDC_IN = 30_000 * 10**6


def _spec_with_dto_fixes() -> dict[str, Any]:
    """The YAML, with the DTOs' word where they differ: a liquidity interaction's id is a string, and an
    allowance carries `amount` (the YAML requires a `minAmount` it never defines)."""
    spec = copy.deepcopy(SPEC)
    schemas = spec["components"]["schemas"]
    schemas["LiquidityInteraction"]["properties"]["id"] = {"type": "string"}
    schemas["Allowance"]["required"] = ["token", "spender", "amount"]
    return spec


def _validate(instance: Any, schema: dict[str, Any]) -> None:
    spec = _spec_with_dto_fixes()
    validate(instance, {**schema, "components": spec["components"]}, cls=OAS30Validator)


def _response_schema() -> dict[str, Any]:
    return SPEC["paths"]["/solve"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]


@pytest.fixture
def server(chain: Node):
    engine = CowEngine(chain_id=chain.chain_id, node=chain, universe=Universe.discover(chain), slippage_bps=0)
    with CowServer(engine) as running:
        yield running


def _deadline(seconds: float = 10.0) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _orders(chain: Node, owner, router) -> list:
    key_a, _ = owner(30, USDC=USDC_IN)
    key_b, _ = owner(31, WETH=3 * 10**18)
    valid_to = int(chain.block("pending")["timestamp"], 16) + 3600
    weth = router.route(mainnet.USDC, mainnet.WETH, USDC_IN, gas_price_wei=0).amount_out * 98 // 100
    usdc = router.route(mainnet.WETH, mainnet.USDC, 3 * 10**18, gas_price_wei=0).amount_out * 98 // 100
    return [
        sign(CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, weth, valid_to), key_a, chain.chain_id),
        sign(
            CowOrder(mainnet.WETH, mainnet.USDC, 3 * 10**18, usdc, valid_to),
            key_b,
            chain.chain_id,
            scheme="ethsign",
        ),
    ]


def test_solve_answers_in_the_spec_shape_and_the_solution_settles(
    chain: Node, roles, router, owner, server
) -> None:
    signed = _orders(chain, owner, router)
    auction = auction_json(signed, deadline=_deadline(), effective_gas_price=10**9)
    _validate(auction, {"$ref": "#/components/schemas/Auction"})  # our test auction is what a driver sends
    reply = httpx.post(f"{server.url}/solve", json=auction, timeout=30)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    _validate(body, _response_schema())
    (solution,) = body["solutions"]
    assert {t["order"] for t in solution["trades"]} == {"0x" + s.uid.hex() for s in signed}
    settlement = settlement_from_json(solution, {s.uid: s for s in signed})
    before = [
        balance_of(chain, mainnet.WETH, signed[0].owner),
        balance_of(chain, mainnet.USDC, signed[1].owner),
    ]
    done = settle(chain, settlement, roles.solver)  # verifies each receiver got at least its limit
    got = [balance_of(chain, mainnet.WETH, signed[0].owner), balance_of(chain, mainnet.USDC, signed[1].owner)]
    assert [g - b for g, b in zip(got, before, strict=True)] == [e.buy for e in done.executed]


def test_a_limit_order_trade_carries_a_fee(chain: Node, owner, router, server) -> None:
    signed = _orders(chain, owner, router)[:1]
    auction = auction_json(signed, deadline=_deadline(), effective_gas_price=10**9, order_class="limit")
    body = httpx.post(f"{server.url}/solve", json=auction, timeout=30).json()
    _validate(body, _response_schema())
    (trade,) = body["solutions"][0]["trades"]
    assert trade["fee"] == "0" and trade["kind"] == "fulfillment"


def test_the_auctions_own_liquidity_is_used_when_given(chain: Node, owner, router, server) -> None:
    """An auction carrying one constant-product pool (the chain's USDC/WETH v2 pair, at its reserves): the
    answer routes through it with a `liquidity` interaction whose amounts are the pair's own getAmountOut."""
    signed = _orders(chain, owner, router)[:1]
    pair = mainnet.v2_pair_address(mainnet.USDC, mainnet.WETH)
    reserves = chain.contract("UniswapV2Pair", pair).call("getReserves")
    token0, token1 = mainnet.sort_tokens(mainnet.USDC, mainnet.WETH)
    liquidity = [
        {
            "kind": "constantProduct",
            "id": "7",
            "address": pair,
            "router": mainnet.V2_ROUTER_02,
            "gasEstimate": "90000",
            "fee": "0.003",
            "tokens": {token0: {"balance": str(reserves[0])}, token1: {"balance": str(reserves[1])}},
        }
    ]
    weth_limit = 1  # any price: the one pool decides it
    low = sign(
        CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, weth_limit, signed[0].order.valid_to),
        "0x" + "c1" * 32,
        chain.chain_id,
    )
    auction = auction_json([low], deadline=_deadline(), effective_gas_price=10**9, liquidity=liquidity)
    body = httpx.post(f"{server.url}/solve", json=auction, timeout=30).json()
    _validate(body, _response_schema())
    (interaction,) = body["solutions"][0]["interactions"]
    assert interaction["kind"] == "liquidity" and interaction["id"] == "7"
    amount_in = int(interaction["inputAmount"])
    r_in, r_out = (reserves[0], reserves[1]) if token0 == mainnet.USDC else (reserves[1], reserves[0])
    expected = amount_in * 997 * r_out // (r_in * 1000 + amount_in * 997)  # UniswapV2Library.getAmountOut
    assert int(interaction["outputAmount"]) == expected and amount_in == USDC_IN


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "the body is not JSON"),
        ({"orders": []}, "auction: missing field `tokens`"),
        (
            {
                "tokens": {},
                "orders": [{"uid": "0x00"}],
                "liquidity": [],
                "effectiveGasPrice": "1",
                "deadline": "x",
            },
            "orders[0]: missing field `sellToken`",
        ),
        (
            {
                "tokens": {},
                "orders": [],
                "liquidity": [{"kind": "magic"}],
                "effectiveGasPrice": "1",
                "deadline": "2030-01-01T00:00:00Z",
            },
            "liquidity[0].kind: expected one of",
        ),
        (
            {
                "tokens": {},
                "orders": [],
                "liquidity": [],
                "effectiveGasPrice": "-1",
                "deadline": "2030-01-01T00:00Z",
            },
            "effectiveGasPrice",
        ),
    ],
)
def test_malformed_requests_get_400_with_the_crates_error_body(server, body, message: str) -> None:
    kwargs = {"content": body} if isinstance(body, str) else {"json": body}
    reply = httpx.post(f"{server.url}/solve", timeout=10, **kwargs)
    assert reply.status_code == 400, reply.text
    assert set(reply.json()) == {"message"} and message in reply.json()["message"]
    assert "Traceback" not in reply.text


def test_a_wrong_uid_is_a_400(chain: Node, owner, router, server) -> None:
    signed = _orders(chain, owner, router)[:1]
    auction = auction_json(signed, deadline=_deadline(), effective_gas_price=1)
    auction["orders"][0]["uid"] = "0x" + "11" * 32 + auction["orders"][0]["uid"][66:]
    reply = httpx.post(f"{server.url}/solve", json=auction, timeout=10)
    assert reply.status_code == 400 and "not this order's digest on chain" in reply.json()["message"]
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert httpx.post(f"{server.url}/nowhere", json={}).status_code == 404


def test_the_deadline_is_honoured(chain: Node, owner, router, server) -> None:
    """A passed deadline gets no solutions at once; a near one is answered before it arrives."""
    signed = _orders(chain, owner, router)
    late = auction_json(signed, deadline=datetime.now(UTC) - timedelta(seconds=1), effective_gas_price=1)
    started = time.monotonic()
    assert httpx.post(f"{server.url}/solve", json=late, timeout=10).json() == {"solutions": []}
    assert time.monotonic() - started < 1.0
    deadline = _deadline(2.0)
    soon = auction_json(signed, deadline=deadline, effective_gas_price=1)
    httpx.post(f"{server.url}/solve", json=soon, timeout=10)
    assert datetime.now(UTC) < deadline


def test_every_signing_scheme_survives_the_wire(chain: Node) -> None:
    """An auction's signature field is the orderbook's (a contract's own signature for eip1271, nothing for
    presign); parsing puts back what the trade must carry (owner || signature, the owner)."""
    order = CowOrder(mainnet.USDC, mainnet.WETH, USDC_IN, 10**18, 2_000_000_000)
    wallet = "0x000000000000000000000000000000000000C0De"
    signed = [
        sign(order, "0x" + "c2" * 32, chain.chain_id),
        sign(order, "0x" + "c3" * 32, chain.chain_id, scheme="ethsign"),
        eip1271(order, wallet, b"\x01" * 65, chain.chain_id),
        presign(order, wallet, chain.chain_id),
    ]
    auction = auction_json(signed, deadline=_deadline(), effective_gas_price=1)
    assert [o["signingScheme"] for o in auction["orders"]] == ["eip712", "ethSign", "eip1271", "preSign"]
    parsed = parse_auction(auction, chain_id=chain.chain_id)
    for original, back in zip(signed, parsed.orders, strict=True):
        assert back.signed.signature == original.signature and back.signed.uid == original.uid
        assert back.signed.scheme == original.scheme and back.remaining == USDC_IN
