"""degenbot's side of bench_quote.py: run by the Python 3.12 venv `make bench` creates (degenbot needs Python
>= 3.12 and web3 < 8, this project runs 3.11 with web3 8), never imported by the project.

Reads {"url", "address", "block", "bitmap": {word: bits}, "ticks": {tick: [liquidity_net, liquidity_gross]},
"seconds", "scenarios": [{"name", "zero_for_one", "amounts"}]} as JSON on stdin, builds degenbot's
UniswapV3Pool from the node at `url` with that full tick state (every bitmap word, so degenbot never goes back
to the node while quoting: the same state as ours), and prints, per scenario, the exact-input amounts out
degenbot computes and its quotes per second (best of ~0.2 s windows, as bench_quote measures ours) as JSON.
Every scenario is quoted once before timing, so degenbot's own caches are hot.

degenbot 0.5.0 creates its SQLite database in WAL mode on first import, which fails on this machine's
filesystems ("database is locked"). So, in a scratch HOME the caller gives, its config and an empty database
file are written first (degenbot then skips the creation) and the tables are created here on the session's
own connection.
"""

# ruff: noqa: PLC0415  (degenbot must be imported after its config is written)

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path


def best_rate(fn: Callable[[], int], seconds: float) -> float:
    """Items per second of fn (which returns how many it did): the best of ~0.2 s windows."""
    best = 0.0
    deadline = time.perf_counter() + seconds
    while True:
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < 0.2:
            done += fn()
        best = max(best, done / elapsed)
        if time.perf_counter() >= deadline:
            return best


def main() -> None:
    job = json.load(sys.stdin)
    config = Path.home() / ".config" / "degenbot"
    config.mkdir(parents=True, exist_ok=True)
    (config / "degenbot.db").touch()
    (config / "config.toml").write_text(f'[database]\npath = "{config / "degenbot.db"}"\n\n[rpc]\n')
    # degenbot is imported only now: its import opens the database named in the config just written
    import degenbot
    from degenbot import connection
    from degenbot.database import db_session
    from degenbot.database.models.base import Base
    from degenbot.uniswap.v3_liquidity_pool import UniswapV3Pool
    from degenbot.uniswap.v3_types import UniswapV3BitmapAtWord, UniswapV3LiquidityAtTick
    from web3 import HTTPProvider, Web3

    Base.metadata.create_all(bind=db_session.connection())
    db_session.commit()
    connection.set_web3(Web3(HTTPProvider(job["url"])))
    block = job["block"]
    bitmap = {int(w): UniswapV3BitmapAtWord(bitmap=b, block=block) for w, b in job["bitmap"].items()}
    ticks = {
        int(t): UniswapV3LiquidityAtTick(liquidity_net=net, liquidity_gross=gross, block=block)
        for t, (net, gross) in job["ticks"].items()
    }
    pool = UniswapV3Pool(
        job["address"],
        verify_address=False,
        silent=True,
        state_block=block,
        tick_bitmap=bitmap,
        tick_data=ticks,
    )
    assert not pool.sparse_liquidity_map
    result = {"version": degenbot.__version__, "python": sys.version.split()[0], "scenarios": {}}
    for scenario in job["scenarios"]:
        token_in = pool.token0 if scenario["zero_for_one"] else pool.token1
        amounts = scenario["amounts"]
        quote = pool.calculate_tokens_out_from_tokens_in
        outs = [quote(token_in=token_in, token_in_quantity=a) for a in amounts]  # also warms the ticks

        def run(amounts: list[int] = amounts, token_in: object = token_in) -> int:
            for a in amounts:
                quote(token_in=token_in, token_in_quantity=a)  # noqa: B023
            return len(amounts)

        result["scenarios"][scenario["name"]] = {"outs": outs, "rate": best_rate(run, job["seconds"])}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
