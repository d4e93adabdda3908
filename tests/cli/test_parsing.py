"""Units that cannot be misread: what the CLI's parsers accept, and what they refuse with both readings."""

from __future__ import annotations

import math

import pytest
import typer

from amm.cli import parsing


@pytest.mark.parametrize(
    ("text", "value"), [("60%", 0.6), ("0.6", 0.6), ("2.5", 2.5), ("150%", 1.5), (" 45 % ", 0.45)]
)
def test_volatility_readings(text: str, value: float) -> None:
    assert parsing.volatility(text) == pytest.approx(value)


def test_bare_volatility_above_the_bound_is_refused_with_both_readings() -> None:
    with pytest.raises(typer.BadParameter) as info:
        parsing.volatility("60")
    message = str(info.value)
    assert "6000%" in message and "60%" in message and "0.6" in message


@pytest.mark.parametrize("text", ["-0.5", "0", "nan", "inf", "-5%", "abc"])
def test_volatility_nonsense_is_refused(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parsing.volatility(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("5bp", 0.0005), ("5 bps", 0.0005), ("0.05%", 0.0005), ("0.0005", 0.0005), ("1%", 0.01)],
)
def test_fee_readings(text: str, value: float) -> None:
    assert parsing.fee(text) == pytest.approx(value)


def test_bare_fee_that_reads_two_ways_is_refused() -> None:
    with pytest.raises(typer.BadParameter) as info:
        parsing.fee("0.05")
    message = str(info.value)
    assert "5.00%" in message and "0.05%" in message and "5bp" in message


@pytest.mark.parametrize(
    ("text", "days"), [("30d", 30), ("1mo", 30), ("90min", 90 / 1440), ("12h", 0.5), ("2w", 14), ("1y", 365)]
)
def test_durations(text: str, days: float) -> None:
    assert parsing.seconds(text) / 86400 == pytest.approx(days)


def test_one_m_is_ambiguous() -> None:
    with pytest.raises(typer.BadParameter, match=r"ambiguous: write 1min \(minutes\) or 1mo \(months\)"):
        parsing.seconds("1m")


@pytest.mark.parametrize("text", ["0d", "-3d", "nan", "infd", "3x", ""])
def test_bad_durations(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parsing.seconds(text)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("50000", (50000.0, None)),
        ("50000 USDC", (50000.0, "USDC")),
        ("50,000usdc", (50000.0, "USDC")),
        ("2.5 WETH", (2.5, "WETH")),
    ],
)
def test_amounts_name_their_token(text: str, parsed: tuple[float, str | None]) -> None:
    assert parsing.amount(text, "--capital") == parsed


def test_capital_in_two_words_reaches_click_as_one() -> None:
    argv = ["range", "--capital", "50000", "USDC", "--json"]
    assert parsing.join_amount_words(argv) == ["range", "--capital", "50000 USDC", "--json"]
    assert parsing.join_amount_words(["range", "--capital", "5", "--json"]) == [
        "range",
        "--capital",
        "5",
        "--json",
    ]


@pytest.mark.parametrize("text", ["nan", "inf", "1,nan", "-1", "0"])
def test_widths_must_be_positive_and_finite(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parsing.percent_list(text)


def test_price_range_refuses_infinities() -> None:
    with pytest.raises(typer.BadParameter):
        parsing.price_range("1-inf")
    assert parsing.price_range("2800-3600") == (2800.0, 3600.0)
    assert math.isfinite(parsing.price_range("1:2")[1])
