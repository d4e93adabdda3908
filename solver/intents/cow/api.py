"""The CoW solver-engine API's wire format: an auction in, solutions out, as the driver speaks it.

Shapes follow `crates/solvers/openapi.yml` of cowprotocol/services, and, where the YAML and the crate's DTOs
(`crates/solvers-dto`) disagree, the DTOs, which are what the driver really sends and reads: signing schemes
arrive lowercase (`ethsign`, `presign`) as well as in the YAML's camelCase; token sources are snake_case; a
liquidity interaction's `id` is a string; an allowance has an `amount`. Amounts are decimal strings (hex
accepted where the DTOs accept it). Anything else malformed raises `AuctionError`, which the server answers
with HTTP 400 and the crate's error body `{"message": "..."}`.

An auction order carries the amounts still available (`sellAmount`, `buyAmount`) and the signed ones
(`fullSellAmount`, `fullBuyAmount`): the trade is encoded with the signed order, executed up to what remains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eth_utils import to_checksum_address

from solver.intents.cow.order import UINT256_MAX, CowOrder, CowOrderError
from solver.intents.cow.settlement import Interaction, Settlement, Trade
from solver.intents.cow.signing import SCHEMES, SignedCowOrder
from solver.intents.cow.solve import Candidate


class AuctionError(ValueError):
    """A malformed auction: one line naming the field (the 400 answer's `message`)."""


@dataclass(frozen=True)
class TokenInfo:
    decimals: int | None
    symbol: str | None
    reference_price: int | None  # wei of ETH per 10**18 of the token
    available_balance: int
    trusted: bool


@dataclass(frozen=True)
class AuctionOrder:
    """An auction's order as a signed GPv2 order plus what remains of it and its class."""

    signed: SignedCowOrder
    remaining: int  # sell token for sell orders, buy token for buy orders
    order_class: str  # market | limit

    @property
    def candidate(self) -> Candidate:
        return Candidate(self.signed, self.remaining)


@dataclass(frozen=True)
class Auction:
    id: str | None
    tokens: dict[str, TokenInfo]
    orders: list[AuctionOrder]
    liquidity: list[dict[str, Any]]
    effective_gas_price: int
    deadline: datetime
    jit_owners: list[str] = field(default_factory=list)


# -- parsing ------------------------------------------------------------------------------------------------
def parse_auction(body: Any, *, chain_id: int) -> Auction:
    """An auction from its JSON body; orders are bound to `chain_id` (their UIDs are checked against it)."""
    obj = _object(body, "auction")
    for name in ("tokens", "orders", "liquidity", "effectiveGasPrice", "deadline"):
        if name not in obj:
            raise AuctionError(f"auction: missing field `{name}`")
    tokens = {
        _address(address, f"tokens key {address!r:.50}"): _token(info, f"tokens[{address}]")
        for address, info in _object(obj["tokens"], "tokens").items()
    }
    orders = [_order(o, f"orders[{i}]", chain_id) for i, o in enumerate(_array(obj["orders"], "orders"))]
    liquidity = [_object(x, f"liquidity[{i}]") for i, x in enumerate(_array(obj["liquidity"], "liquidity"))]
    auction_id = obj.get("id")
    if auction_id is not None and not isinstance(auction_id, str | int):
        raise AuctionError("id: expected a string or null")
    return Auction(
        id=None if auction_id is None else str(auction_id),
        tokens=tokens,
        orders=orders,
        liquidity=liquidity,
        effective_gas_price=_uint(obj["effectiveGasPrice"], "effectiveGasPrice"),
        deadline=_datetime(obj["deadline"], "deadline"),
        jit_owners=[
            _address(a, "surplusCapturingJitOrderOwners[]")
            for a in _array(obj.get("surplusCapturingJitOrderOwners", []), "surplusCapturingJitOrderOwners")
        ],
    )


def _order(raw: Any, where: str, chain_id: int) -> AuctionOrder:
    o = _object(raw, where)
    required = (
        *("uid", "sellToken", "buyToken", "sellAmount", "buyAmount", "fullBuyAmount", "validTo", "kind"),
        *("owner", "partiallyFillable", "class", "appData", "signingScheme", "signature"),
    )
    for name in required:
        if name not in o:
            raise AuctionError(f"{where}: missing field `{name}`")
    uid = _bytes(o["uid"], f"{where}.uid")
    if len(uid) != 56:
        raise AuctionError(f"{where}.uid: expected 56 bytes, got {len(uid)}")
    owner = _address(o["owner"], f"{where}.owner")
    kind = _enum(o["kind"], f"{where}.kind", ("sell", "buy"))
    scheme = str(o["signingScheme"]).lower()  # the DTOs send "ethsign", the YAML says "ethSign"
    if scheme not in SCHEMES:
        raise AuctionError(f"{where}.signingScheme: expected eip712, ethSign, preSign or eip1271")
    sell_amount = _uint(o["sellAmount"], f"{where}.sellAmount")
    buy_amount = _uint(o["buyAmount"], f"{where}.buyAmount")
    full_sell = _uint(o.get("fullSellAmount", o["sellAmount"]), f"{where}.fullSellAmount")
    full_buy = _uint(o["fullBuyAmount"], f"{where}.fullBuyAmount")
    app_data = _bytes(o["appData"], f"{where}.appData")
    if len(app_data) != 32:
        raise AuctionError(f"{where}.appData: expected 32 bytes")
    valid_to = o["validTo"]
    if isinstance(valid_to, bool) or not isinstance(valid_to, int):
        raise AuctionError(f"{where}.validTo: expected an integer")
    try:
        order = CowOrder(
            sell_token=_address(o["sellToken"], f"{where}.sellToken"),
            buy_token=_address(o["buyToken"], f"{where}.buyToken"),
            sell_amount=full_sell,
            buy_amount=full_buy,
            valid_to=valid_to,
            kind=kind,
            receiver=_address(o.get("receiver") or "0x" + "00" * 20, f"{where}.receiver"),
            app_data=app_data,
            fee_amount=0,  # orders are signed with a zero fee since CIP-38: solvers charge theirs in prices
            partially_fillable=_bool(o["partiallyFillable"], f"{where}.partiallyFillable"),
            sell_token_balance=_enum(
                o.get("sellTokenSource", "erc20"),
                f"{where}.sellTokenSource",
                ("erc20", "external", "internal"),
            ),
            buy_token_balance=_enum(
                o.get("buyTokenDestination", "erc20"), f"{where}.buyTokenDestination", ("erc20", "internal")
            ),
        )
    except CowOrderError as e:
        raise AuctionError(f"{where}: {e}") from None
    signature = _bytes(o["signature"], f"{where}.signature")
    if scheme == "eip1271" and signature[:20] != bytes.fromhex(owner[2:]):
        signature = bytes.fromhex(owner[2:]) + signature  # the trade carries owner || contract signature
    if scheme == "presign":
        signature = bytes.fromhex(owner[2:])
    if uid[32:52] != bytes.fromhex(owner[2:]) or int.from_bytes(uid[52:], "big") != valid_to:
        raise AuctionError(f"{where}.uid: does not end with the order's owner and validTo")
    signed = SignedCowOrder(order, owner, scheme, signature, chain_id, known_uid=uid)
    if order.digest(chain_id) != uid[:32]:
        raise AuctionError(f"{where}.uid: not this order's digest on chain {chain_id}")
    remaining = sell_amount if kind == "sell" else buy_amount
    return AuctionOrder(signed, remaining, _enum(o["class"], f"{where}.class", ("market", "limit")))


def _token(raw: Any, where: str) -> TokenInfo:
    t = _object(raw, where)
    if "availableBalance" not in t:
        raise AuctionError(f"{where}: missing field `availableBalance`")
    decimals = t.get("decimals")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int)):
        raise AuctionError(f"{where}.decimals: expected an integer")
    price = t.get("referencePrice")
    return TokenInfo(
        decimals,
        t.get("symbol"),
        None if price is None else _uint(price, f"{where}.referencePrice"),
        _uint(t["availableBalance"], f"{where}.availableBalance"),
        _bool(t.get("trusted", False), f"{where}.trusted"),
    )


# -- rendering ----------------------------------------------------------------------------------------------
def solution_json(
    solution_id: int, settlement: Settlement, classes: Mapping[bytes, str], liquidity: Sequence[dict] = ()
) -> dict[str, Any]:
    """One `Solution` in the DTO's shape. Limit orders carry a `fee` (0: our fee is in the price we route
    at), market orders none."""
    trades = []
    for trade in settlement.trades:
        entry: dict[str, Any] = {
            "kind": "fulfillment",
            "order": "0x" + trade.order.uid.hex(),
            "executedAmount": str(trade.executed_amount),
        }
        if classes.get(trade.order.uid) == "limit":
            entry["fee"] = str(trade.fee)
        trades.append(entry)
    return {
        "id": solution_id,
        "prices": {token: str(price) for token, price in settlement.prices.items()},
        "trades": trades,
        "preInteractions": [_call(i) for i in settlement.pre],
        "interactions": [_interaction(i) for i in settlement.interactions],
        "postInteractions": [_call(i) for i in settlement.post],
        "gas": settlement.gas,
    }


def _interaction(i: Interaction) -> dict[str, Any]:
    if i.liquidity_id is not None:
        (token_in, amount_in), (token_out, amount_out) = i.inputs[0], i.outputs[0]
        return {
            "kind": "liquidity",
            "internalize": False,
            "id": i.liquidity_id,
            "inputToken": token_in,
            "outputToken": token_out,
            "inputAmount": str(amount_in),
            "outputAmount": str(amount_out),
        }
    return {
        "kind": "custom",
        "internalize": False,
        "target": i.target,
        "value": str(i.value),
        "callData": "0x" + i.call_data.hex(),
        "allowances": [],
        "inputs": [{"token": t, "amount": str(a)} for t, a in i.inputs],
        "outputs": [{"token": t, "amount": str(a)} for t, a in i.outputs],
    }


def _call(i: Interaction) -> dict[str, Any]:
    return {"target": i.target, "value": str(i.value), "callData": ["0x" + i.call_data.hex()]}


def auction_json(
    orders: Sequence[SignedCowOrder],
    *,
    deadline: datetime,
    effective_gas_price: int,
    remaining: Mapping[bytes, int] | None = None,
    liquidity: Sequence[dict[str, Any]] = (),
    reference_prices: Mapping[str, int] | None = None,
    order_class: str = "market",
    auction_id: str | None = "1",
) -> dict[str, Any]:
    """An auction as a driver sends it, for signed orders (what a bot or a test asks a solver engine)."""
    tokens: dict[str, dict[str, Any]] = {}
    entries = []
    for s in orders:
        o = s.order
        left = (remaining or {}).get(s.uid, o.sell_amount if o.is_sell else o.buy_amount)
        sell_left = left if o.is_sell else o.sell_amount * left // o.buy_amount
        buy_left = left if not o.is_sell else o.buy_amount * left // o.sell_amount
        signature = (
            s.signature[20:] if s.scheme == "eip1271" else b"" if s.scheme == "presign" else s.signature
        )
        entries.append(
            {
                "uid": "0x" + s.uid.hex(),
                "sellToken": o.sell_token,
                "buyToken": o.buy_token,
                "sellAmount": str(sell_left),
                "fullSellAmount": str(o.sell_amount),
                "buyAmount": str(buy_left),
                "fullBuyAmount": str(o.buy_amount),
                "feePolicies": [],
                "validTo": o.valid_to,
                "kind": o.kind,
                "receiver": o.receiver,
                "owner": s.owner,
                "partiallyFillable": o.partially_fillable,
                "preInteractions": [],
                "postInteractions": [],
                "sellTokenSource": o.sell_token_balance,
                "buyTokenDestination": o.buy_token_balance,
                "class": order_class,
                "appData": "0x" + o.app_data.hex(),
                "signingScheme": {"ethsign": "ethSign", "presign": "preSign"}.get(s.scheme, s.scheme),
                "signature": "0x" + signature.hex(),
            }
        )
        for token in (o.sell_token, o.buy_token):
            info: dict[str, Any] = {"trusted": False, "availableBalance": "0"}
            if reference_prices and token in reference_prices:
                info["referencePrice"] = str(reference_prices[token])
            tokens.setdefault(token, info)
    return {
        "id": auction_id,
        "tokens": tokens,
        "orders": entries,
        "liquidity": list(liquidity),
        "effectiveGasPrice": str(effective_gas_price),
        "deadline": deadline.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "surplusCapturingJitOrderOwners": [],
    }


def settlement_from_json(solution: Mapping[str, Any], orders: Mapping[bytes, SignedCowOrder]) -> Settlement:
    """What a driver encodes from one of our solutions (custom interactions only: liquidity ones need the
    driver's encoding of that liquidity)."""
    prices = {to_checksum_address(t): int(p) for t, p in solution["prices"].items()}
    trades = [
        Trade(orders[bytes.fromhex(t["order"][2:])], int(t["executedAmount"]), int(t.get("fee", "0")))
        for t in solution["trades"]
    ]
    interactions = []
    for i in solution["interactions"]:
        if i["kind"] != "custom":
            raise AuctionError(f"a {i['kind']} interaction is encoded by the driver")
        interactions.append(
            Interaction(to_checksum_address(i["target"]), bytes.fromhex(i["callData"][2:]), int(i["value"]))
        )
    calls = [
        [
            Interaction(to_checksum_address(c["target"]), bytes.fromhex(d[2:]), int(c["value"]))
            for d in c["callData"]
        ]
        for c in (*solution.get("preInteractions", []), *solution.get("postInteractions", []))
    ]
    pre = [x for group in calls[: len(solution.get("preInteractions", []))] for x in group]
    post = [x for group in calls[len(solution.get("preInteractions", [])) :] for x in group]
    return Settlement(prices, trades, pre, interactions, post, int(solution.get("gas", 0)))


def error_json(message: str) -> dict[str, str]:
    """The solver crate's error body."""
    return {"message": message}


# -- field readers ------------------------------------------------------------------------------------------
def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AuctionError(f"{where}: expected an object")
    return value


def _array(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise AuctionError(f"{where}: expected an array")
    return value


def _uint(value: Any, where: str) -> int:
    if not isinstance(value, str):
        raise AuctionError(f"{where}: expected a decimal string")
    text = value.strip()
    try:
        number = int(text, 16) if text[:2].lower() == "0x" else int(text, 10)
    except ValueError:
        raise AuctionError(f"{where}: {value!r:.40} is not an unsigned integer") from None
    if not 0 <= number <= UINT256_MAX:
        raise AuctionError(f"{where}: {value!r:.40} is out of range for a uint256")
    return number


def _address(value: Any, where: str) -> str:
    try:
        if not isinstance(value, str) or len(value) != 42:
            raise ValueError
        return to_checksum_address(value)
    except ValueError:
        raise AuctionError(f"{where}: {value!r:.50} is not an address") from None


def _bytes(value: Any, where: str) -> bytes:
    if not isinstance(value, str) or value[:2].lower() != "0x":
        raise AuctionError(f"{where}: expected 0x-prefixed hex")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise AuctionError(f"{where}: not hex") from None


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise AuctionError(f"{where}: expected true or false")
    return value


def _enum(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise AuctionError(f"{where}: expected one of {', '.join(allowed)}, got {value!r:.30}")
    return value


def _datetime(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise AuctionError(f"{where}: expected an ISO-8601 date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AuctionError(f"{where}: {value!r:.40} is not an ISO-8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
