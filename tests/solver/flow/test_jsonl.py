"""JSON-lines flow files: what a live run writes, a backtest reads back as equal records; bad lines and bytes
that do not parse are reported, never raised."""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account

from amm.chain import addresses as mainnet
from solver.flow import BadLine, IncomingOrder, JsonlWriter, iter_orders, read_orders, receive, write_orders
from solver.intents.uniswapx import DutchInput, DutchOutput, ExclusiveDutchOrder, OrderInfo

KEY = "0x" + "11" * 32  # a throwaway key: these orders are never sent to a chain
SWAPPER = Account.from_key(KEY).address


def _signed(nonce: int) -> tuple[bytes, bytes]:
    order = ExclusiveDutchOrder(
        info=OrderInfo(mainnet.EXCLUSIVE_DUTCH_ORDER_REACTOR, SWAPPER, nonce, 1_700_000_600),
        chain_id=31337,
        decay_start_time=1_700_000_000,
        decay_end_time=1_700_000_120,
        input=DutchInput(mainnet.USDC, 3_000 * 10**6, 3_000 * 10**6),
        outputs=(DutchOutput(mainnet.WETH, 10**18, 99 * 10**16, SWAPPER),),
    )
    return order.encode(), order.sign(KEY)


def _records() -> list[IncomingOrder]:
    good = [
        receive(
            "dutch", 31337, *_signed(n), received_block=100 + n, received_time=1_700_000_000 + n, source="t"
        )
        for n in range(3)
    ]
    garbage = receive(
        "dutch", 31337, b"\x01\x02\x03", b"\x00" * 65, received_block=None, received_time=None, source="t"
    )
    unknown_kind = receive("limit", 1, _signed(9)[0], b"", received_block=7, received_time=None, source="u")
    return [*good, garbage, unknown_kind]


def test_round_trip_gives_equal_records(tmp_path: Path) -> None:
    records = _records()
    path = tmp_path / "flow.jsonl"
    assert write_orders(path, records) == len(records)
    read, bad = read_orders(path)
    assert bad == []
    assert read == records
    assert [r.malformed for r in read] == [False, False, False, True, True]
    assert read[0].order is not None and read[0].hash == read[0].order.hash
    assert read[3].error is not None and read[3].error.startswith("malformed:")
    assert read[4].error is not None and "unknown order kind" in read[4].error


def test_writer_appends_line_by_line(tmp_path: Path) -> None:
    records = _records()
    path = tmp_path / "live.jsonl"
    with JsonlWriter(path) as writer:
        writer.write(records[0])
        assert len(path.read_text().splitlines()) == 1  # flushed: a crash here keeps it
    write_orders(path, records[1:], append=True)
    assert read_orders(path)[0] == records


def test_bad_lines_are_reported_with_their_number_and_skipped() -> None:
    encoded, signature = _signed(1)
    good = {
        "kind": "dutch",
        "chain_id": 31337,
        "order": "0x" + encoded.hex(),
        "signature": "0x" + signature.hex(),
    }
    lines = [
        json.dumps(good),  # 1: no received_at, no source: both defaulted
        "{not json",  # 2
        "",  # 3: blank, ignored
        json.dumps([1, 2]),  # 4
        json.dumps({k: v for k, v in good.items() if k != "signature"}),  # 5
        json.dumps(good | {"order": "0xzz"}),  # 6
        json.dumps(good | {"chain_id": "31337"}),  # 7
        json.dumps(good | {"received_at": 1_700_000_000, "source": "api"}),  # 8: a bare unix time
    ]
    bad: list[BadLine] = []
    read = list(iter_orders(lines, source="jsonl:x", bad_lines=bad))
    assert [b.line for b in bad] == [2, 4, 5, 6, 7]
    assert "not JSON" in bad[0].reason and "missing signature" in bad[2].reason and "hex" in bad[3].reason
    assert [(r.source, r.received_block, r.received_time) for r in read] == [
        ("jsonl:x", None, None),
        ("api", None, 1_700_000_000),
    ]
    assert all(not r.malformed for r in read)
