"""Fair value from pools (the built-in chain's and hand-built ones) and from price streams."""

from __future__ import annotations

import math
from fractions import Fraction

import httpx
import pytest

from amm.chain import addresses as mainnet
from amm.v2.pair import Pair
from amm.v3.pool import Pool
from solver.pricing.fair_value import FairValueFromPools, FairValueFromStream, PriceError
from solver.routing.synthetic import synthetic_universe
from solver.routing.universe import Token, Universe

USDC = Token("0x" + "01" * 20, "USDC", 6)
WETH = Token("0x" + "02" * 20, "WETH", 18)
FOO = Token("0x" + "03" * 20, "FOO", 18)


def _pair(a: Token, b: Token, amount_a: float, amount_b: float, n: int) -> Pair:
    """A v2 pair holding whole amounts of a and b (sorted into token0/token1 as the factory does)."""
    raw = {a.address: int(amount_a * 10**a.decimals), b.address: int(amount_b * 10**b.decimals)}
    t0, t1 = sorted((a.address, b.address), key=lambda x: int(x, 16))
    return Pair.from_reserves(raw[t0], raw[t1], address=f"0x{n:040x}", token0=t0, token1=t1)


def _weth_in_usdc(model: Pool | Pair) -> Fraction:
    """USDC per WETH at a pool's mid, computed exactly from the model's own state (USDC is token0)."""
    assert model.token0.lower() == mainnet.USDC.lower()
    if isinstance(model, Pair):
        weth_per_usdc = Fraction(model.reserve1, model.reserve0)
    else:
        weth_per_usdc = Fraction(model.sqrt_price_x96**2, 2**192)
    return 1 / weth_per_usdc * Fraction(10**18, 10**6)


def test_built_in_chain_prices(universe: Universe) -> None:
    fv = FairValueFromPools()
    prices = fv.update(universe, universe.block, 0.0)
    mids = [_weth_in_usdc(p.model) for p in universe.pools_between(mainnet.USDC, mainnet.WETH)]
    assert len(mids) >= 2
    assert float(min(mids)) * (1 - 1e-12) <= fv.price("WETH") <= float(max(mids)) * (1 + 1e-12)
    assert prices["USDC"] == 1.0
    assert fv.price(mainnet.USDC) == 1.0  # by address too
    for stable in ("DAI", "USDT"):
        assert fv.price(stable) == pytest.approx(1.0, abs=0.01)
    assert 10 < fv.price("WBTC") / fv.price("WETH") < 100  # BTC at 10-100 ETH
    assert 10_000 < fv.price("WBTC") < 1_000_000
    assert fv.block == universe.block


def test_deeper_pool_weighs_more() -> None:
    deep = _pair(USDC, WETH, 1_000_000, 10_000, 1)  # 100 USDC per WETH, 1M USDC deep
    shallow = _pair(USDC, WETH, 110_000, 1_000, 2)  # 110, 110k deep
    fv = FairValueFromPools(min_depth_share=0.0)
    fv.update(Universe.from_models([deep, shallow], [USDC, WETH]))
    w_deep, w_shallow = 1_000_000, 110_000
    expected = math.exp((w_deep * math.log(100) + w_shallow * math.log(110)) / (w_deep + w_shallow))
    assert fv.price("WETH") == pytest.approx(expected, rel=1e-9)
    assert 100 < fv.price("WETH") < 105  # pulled toward the deep pool's 100, far from the middle (105)


def test_dust_pool_is_ignored() -> None:
    deep = _pair(USDC, WETH, 1_000_000, 10_000, 1)
    dust = _pair(USDC, WETH, 50, 0.1, 2)  # 500 USDC per WETH, stale
    fv = FairValueFromPools(min_depth_share=0.01)
    fv.update(Universe.from_models([deep, dust], [USDC, WETH]))
    assert fv.price("WETH") == pytest.approx(100, rel=1e-9)


def test_token_without_direct_pool_goes_through_weth() -> None:
    pools = [_pair(USDC, WETH, 1_000_000, 10_000, 1), _pair(FOO, WETH, 50_000, 500, 2)]  # 0.01 WETH per FOO
    fv = FairValueFromPools(tokens=[USDC, WETH, FOO])
    universe = Universe.from_models(pools, [USDC, WETH, FOO])
    fv.update(universe.pools, block=7, timestamp=1.0)  # bare pools work when the tokens are known
    assert fv.price("FOO") == pytest.approx(1.0, rel=1e-9)
    assert fv.paths["FOO"][0].via == "WETH"
    assert fv.block == 7


def test_synthetic_universe_through_a_hub() -> None:
    """AAA ($2) and BBB ($1) trade directly and through hubs; with BBB as numeraire AAA comes out near 2."""
    universe = synthetic_universe(40, seed=3)
    fv = FairValueFromPools(numeraire="BBB", hubs=("HUB",))
    fv.update(universe)
    assert fv.price("AAA") == pytest.approx(2.0, rel=0.01)
    assert fv.price("HUB") == pytest.approx(3000.0, rel=0.01)


def test_unknown_token_is_one_line() -> None:
    fv = FairValueFromPools()
    fv.update(Universe.from_models([_pair(USDC, WETH, 1e6, 1e4, 1)], [USDC, WETH]))
    with pytest.raises(PriceError) as e:
        fv.price("PEPE")
    assert "PEPE" in str(e.value) and "\n" not in str(e.value)


# ------------------------------------------------------------------------------------------------ streams
def test_csv_stream_takes_latest_row_at_or_before(tmp_path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("timestamp,token,price\n100,WETH,3000\n200,WETH,3100\n100,WBTC,90000\n")
    fv = FairValueFromStream.open(path, tokens=[WETH])
    assert fv.update(None, 1, 150) == {"WETH": 3000.0, "WBTC": 90000.0, "USDC": 1.0}
    fv.update(None, 2, 250)
    assert fv.price("WETH") == 3100.0
    assert fv.price(WETH.address) == 3100.0
    assert fv.value("WETH", 2 * 10**18) == 6200.0
    with pytest.raises(PriceError, match="no price at or before"):
        fv.update(None, 3, 50)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,WETH,abc\n", "not a number"),
        ("1,WETH,-5\n", "positive"),
        ("1,WETH\n", "expected timestamp,token,price"),
        ("x,WETH,1\n", "timestamp 'x'"),
    ],
)
def test_csv_stream_bad_rows(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(PriceError, match=message) as e:
        FairValueFromStream.from_csv(path)
    assert "\n" not in str(e.value)


def test_callable_stream() -> None:
    ticks = iter([{"WETH": 3000, "USDC": 1}, {"WETH": "3050.5"}])
    fv = FairValueFromStream.open(lambda: next(ticks))
    fv.update(None, 1, 1.0)
    assert fv.price("weth") == 3000.0
    fv.update(None, 2, 2.0)
    assert fv.prices() == {"WETH": 3050.5, "USDC": 1.0}


def test_http_stream_and_its_errors() -> None:
    answers = iter(
        [
            httpx.Response(200, json={"WETH": 3000.0}),
            httpx.Response(200, json=["WETH", 3000]),
            httpx.Response(200, json={"WETH": None}),
            httpx.Response(503, text="down"),
            httpx.Response(200, text="<html>"),
        ]
    )
    transport = httpx.MockTransport(lambda request: next(answers))
    fv = FairValueFromStream.from_url("http://prices.local/v1", transport=transport, timeout=0.5)
    assert fv.update(None, 1, 1.0)["WETH"] == 3000.0
    for message in ("expected an object", "not a number", "HTTP 503", "not JSON"):
        with pytest.raises(PriceError, match=message) as e:
            fv.update(None, 2, 2.0)
        assert "\n" not in str(e.value)
    assert fv.price("WETH") == 3000.0  # a bad update leaves the last good prices


def test_http_stream_timeout_is_one_line() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    fv = FairValueFromStream.from_url("http://prices.local/", transport=httpx.MockTransport(hang))
    with pytest.raises(PriceError, match="ReadTimeout") as e:
        fv.update(None, 1, 1.0)
    assert "\n" not in str(e.value)
