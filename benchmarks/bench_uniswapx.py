"""UniswapX order screening: parse + offline check + resolve per incoming order, against bare eth-account.

Per kind (dutch, v2_dutch, v3_dutch, priority), N distinct orders are built from the library's dataclasses,
signed and cosigned (setup, not timed) and handed over as the reactor's `order` bytes plus signature. Timed
(time.perf_counter, gc off as in timeit): best of 3 passes per chunk of 20 orders, summed; each chunk is timed
for every figure in turn, so a burst of load elsewhere hits one chunk of one pass, and all figures alike.
* screen: what a bot runs per incoming order: parse_order + check(...) offline (no chain) + order.resolve();
  every check must return [] (the orders are valid: the happy path is measured). The priority orders are
  cosigned to open one block early, so their cosignature is checked too;
* its parts, on fresh (uncached) orders: parse; digest (order hash + Permit2 digest); signer (swapper
  ecrecover, digest known); cosigner (cosigner digest + ecrecover); resolve (signatures verified); "rest" is
  the screen minus the parts: check's bookkeeping and own resolve (~20-40 µs), and what the parts lose when
  they run interleaved rather than each in a tight loop;
* the screen again on orders each from a swapper never seen before ("new swpr"; other orders every pass),
  since the library memoises EIP-55 checksums and the orders above share one swapper;
* baselines: eth-account's Account.recover_message(encode_typed_data(full_message=...)) with the typed data
  prebuilt (untimed, in its favour), and Account._recover_hash(digest); "sig. share" is signer + cosigner
  over the screen, "ECDSA floor" one _recover_hash per signature the screen checks, over the screen.

Run: .venv/bin/python benchmarks/bench_uniswapx.py [--orders 250]   (~25-45 s; 2,000 orders take ~4-6 min)
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.util
import time
from collections.abc import Callable
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak
from eth_keys import KeyAPI

from amm.chain.addresses import USDC, WETH
from solver.intents import uniswapx as ux

SWAPPER_KEY = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"  # anvil account 6
COSIGNER_KEY = "0x" + "c0" * 32
SWAPPER, COSIGNER = Account.from_key(SWAPPER_KEY).address, Account.from_key(COSIGNER_KEY).address
FILLER = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"  # anvil account 7
CHAIN_ID, NOW, BLOCK, REPEATS, CHUNK = 31337, 1_700_000_000, 20_000_000, 3, 20
# the fill lands 30 s into the dutch decays, one block after the v3 decay start and the priority target block
AT = NOW + 30
FILL: dict[str, Any] = dict(block_number=BLOCK + 1, base_fee=10**9, priority_fee=2_000_000, filler=FILLER)
PARTS = ("parse", "digest", "signer", "cosigner", "resolve")

Step = Callable[[Any, bytes], object]  # one figure's work on one item (bytes, order, ...) and its signature
Items = Callable[[], list[tuple[Any, bytes]]]  # the untimed setup of a figure: its (item, signature)s


def build(kind: str, i: int, swapper: str = SWAPPER) -> ux.Order:
    """Order i of `kind`: about 3,000 USDC for 1 WETH (decaying 1%), nonce i + 1, cosigned if it can be."""
    info = ux.OrderInfo(ux.reactor_for(kind, CHAIN_ID) or "", swapper, i + 1, NOW + 3_600)
    amount_in, out, low = 3_000 * 10**6 + i, 10**18, 99 * 10**16
    common: dict[str, Any] = dict(info=info, chain_id=CHAIN_ID)
    dutch_in = ux.DutchInput(USDC, amount_in, amount_in)
    dutch_out = (ux.DutchOutput(WETH, out, low, swapper),)
    if kind == "dutch":
        return ux.ExclusiveDutchOrder(
            **common, decay_start_time=NOW, decay_end_time=NOW + 120, input=dutch_in, outputs=dutch_out
        )
    order: ux.CosignedOrder
    if kind == "v2_dutch":
        order = ux.V2DutchOrder(
            **common, cosigner=COSIGNER, base_input=dutch_in, base_outputs=dutch_out,
            cosigner_data=ux.V2CosignerData(NOW, NOW + 120, output_amounts=(0,)),
        )  # fmt: skip
    elif kind == "v3_dutch":
        step = (out - low) // 3
        curve = ux.NonlinearDutchDecay.from_points([2, 6, 10], [step, 2 * step, 3 * step])
        order = ux.V3DutchOrder(
            **common, cosigner=COSIGNER, starting_base_fee=10**9,
            base_input=ux.V3DutchInput(USDC, amount_in, ux.NonlinearDutchDecay(), amount_in),
            base_outputs=(ux.V3DutchOutput(WETH, out, curve, swapper, low),),
            cosigner_data=ux.V3CosignerData(BLOCK, output_amounts=(0,)),
        )  # fmt: skip
    else:
        order = ux.PriorityOrder(
            **common, cosigner=COSIGNER, auction_start_block=BLOCK + 2, baseline_priority_fee_wei=10**6,
            input=ux.PriorityInput(USDC, amount_in), outputs=(ux.PriorityOutput(WETH, out, 1, swapper),),
            auction_target_block=BLOCK + 1,
        )  # fmt: skip
    return order.cosign(COSIGNER_KEY)


def signed(kind: str, indices: range, new_swappers: bool = False) -> list[tuple[ux.Order, bytes]]:
    """Orders and signatures equal to order.sign(key)'s (same digest, deterministic ECDSA), made faster."""
    result = []
    for i in indices:
        key = f"0x{0x5EED << 200 | i:064x}" if new_swappers else SWAPPER_KEY
        order = build(kind, i, Account.from_key(key).address)
        result.append((order, bytes(Account.unsafe_sign_hash(order.permit_digest(), key).signature)))
    return result


def best_times(timed: dict[str, tuple[Step, Items]], n: int) -> dict[str, float]:
    """Seconds for step(item, sig) over the n items of each setup(): best of REPEATS per chunk, summed."""
    chunks = range(0, n, CHUNK)
    best = {name: [float("inf")] * len(chunks) for name in timed}
    for _ in range(REPEATS):
        items = {name: setup() for name, (_, setup) in timed.items()}
        gc.collect()
        gc.disable()
        for c, lo in enumerate(chunks):
            for name, (step, _) in timed.items():
                chunk = items[name][lo : lo + CHUNK]
                started = time.perf_counter()
                for item, sig in chunk:
                    step(item, sig)
                best[name][c] = min(best[name][c], time.perf_counter() - started)
        gc.enable()
    return {name: sum(times) for name, times in best.items()}


def measure(kind: str, n: int) -> dict[str, float]:
    """Microseconds per order of the screen, its parts and the baselines, over n orders of `kind`."""
    orders, sigs = zip(*signed(kind, range(n)), strict=True)
    encoded, digests = [o.encode() for o in orders], [o.permit_digest() for o in orders]
    assert len(set(digests)) == n, "orders must be distinct"
    parsed = [ux.parse_order(b, kind=kind, chain_id=CHAIN_ID) for b in encoded]
    assert parsed == list(orders), "parse_order(order.encode()) must give the order back"
    # each pass of the "new swapper" screen gets its own orders, each from a swapper never seen before
    batches = [signed(kind, range(n * p, n * (p + 1)), new_swappers=True) for p in range(1, REPEATS + 1)]
    new_passes = iter([[(o.encode(), sig) for o, sig in batch] for batch in batches])

    def screen(raw: bytes, sig: bytes) -> None:
        order = ux.parse_order(raw, kind=kind, chain_id=CHAIN_ID)
        rejections = ux.check(order, sig, now=AT, **FILL)
        if rejections:
            raise AssertionError(f"{kind}: a valid order was rejected: {rejections}")
        order.resolve(timestamp=AT, **FILL)

    def recover_message(data: dict[str, Any], sig: bytes) -> None:
        if Account.recover_message(encode_typed_data(full_message=data), signature=sig) != SWAPPER:
            raise AssertionError("eth-account recovers someone else")

    steps: dict[str, Step] = {
        "digest": lambda o, _: o.permit_digest(),
        "signer": lambda o, sig: o.signer(sig),
        "cosigner": lambda o, _: o.recover_cosigner(),
        "resolve": lambda o, _: o.resolve(timestamp=AT, **FILL),
    }

    def fresh(*warm: str) -> Items:  # uncached copies (hash, digest, cosigner are cached per object), warmed
        def setup() -> list[tuple[Any, bytes]]:
            copies = [(dataclasses.replace(o), sig) for o, sig in zip(parsed, sigs, strict=True)]
            for name in warm:
                for o, sig in copies:
                    steps[name](o, sig)
            return copies

        return setup

    def given(items: list[Any]) -> Items:
        return lambda: list(zip(items, sigs, strict=True))

    cosigned = kind != "dutch"
    timed: dict[str, tuple[Step, Items]] = {
        "screen": (screen, given(encoded)),
        "screen_new": (screen, lambda: next(new_passes)),
        "parse": (lambda raw, _: ux.parse_order(raw, kind=kind, chain_id=CHAIN_ID), given(encoded)),
        "digest": (steps["digest"], fresh()),
        "signer": (steps["signer"], fresh("digest")),
        "resolve": (steps["resolve"], fresh("signer", "cosigner") if cosigned else fresh("signer")),
        "recover_message": (recover_message, given([o.typed_data() for o in orders])),
        "recover_hash": (lambda d, sig: Account._recover_hash(d, signature=sig), given(digests)),
    }
    if cosigned:
        timed["cosigner"] = (steps["cosigner"], fresh("digest"))
    r = {name: seconds * 1e6 / n for name, seconds in best_times(timed, n).items()}
    r.setdefault("cosigner", 0.0)
    r["rest"] = r["screen"] - sum(r[part] for part in PARTS)
    r["recoveries"] = 2.0 if cosigned else 1.0
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=250, help="distinct signed orders per kind")
    args = parser.parse_args()
    keccak(b"")  # eth-hash picks its backend on the first call
    coincurve = "installed" if importlib.util.find_spec("coincurve") else "NOT installed (pure-Python ECDSA)"
    print(
        f"eth_keys backend: {type(KeyAPI().backend).__name__}, coincurve (libsecp256k1) {coincurve}; "
        f"eth-hash keccak backend: {keccak.hasher.__module__.rsplit('.', 1)[-1]}"
    )
    started = time.perf_counter()
    results = {kind: measure(kind, args.orders) for kind in ux.KINDS}
    took = time.perf_counter() - started
    print(f"{args.orders:,} distinct signed orders per kind, best of {REPEATS} passes; took {took:.0f} s")
    print(
        "\nµs per order  screen   parse  digest  signer  cosigner  resolve    rest  new swpr  orders/s (new)"
    )
    for kind, r in results.items():
        cells = zip(("screen", *PARTS, "rest", "screen_new"), (8, 8, 8, 8, 10, 9, 8, 10), strict=True)
        rates = f"{1e6 / r['screen']:,.0f} ({1e6 / r['screen_new']:,.0f})"
        print(f"{kind:<12}{''.join(f'{r[f]:>{w}.0f}' for f, w in cells)}{rates:>16}")
    print(
        "\nbaseline, µs  recover_message  _recover_hash  screen/recover_message (new)  sig. share  ECDSA fl."
    )
    for kind, r in results.items():
        ratio = f"{r['screen'] / r['recover_message']:.2f}x ({r['screen_new'] / r['recover_message']:.2f}x)"
        share, floor = (r["signer"] + r["cosigner"]) / r["screen"], r["recoveries"] * r["recover_hash"]
        print(
            f"{kind:<12}{r['recover_message']:>17.0f}{r['recover_hash']:>15.0f}{ratio:>30}"
            f"{share:>12.0%}{floor / r['screen']:>11.0%}"
        )
    rates = [1e6 / r[f] for r in results.values() for f in ("screen", "screen_new")]
    ratios = [r[f] / r["recover_message"] for r in results.values() for f in ("screen", "screen_new")]
    shares = [(r["signer"] + r["cosigner"]) / r["screen"] for r in results.values()]
    print(
        f"\nsummary: the full offline screen (parse + check + resolve) runs {min(rates):,.0f}-"
        f"{max(rates):,.0f} orders/s on one core, {min(ratios):.2f}-{max(ratios):.2f}x the cost of a bare "
        f"eth-account recover_message (signature only); signature recovery is {min(shares):.0%}-"
        f"{max(shares):.0%} of it"
    )


if __name__ == "__main__":
    main()
