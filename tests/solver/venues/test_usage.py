"""The package docstring's usage example runs as written, and the summary reports dollars."""

from __future__ import annotations

import contextlib
import io
import textwrap
from decimal import Decimal

import solver.venues
from solver.venues import ContractSpec, OracleVault, PerpVenue


def test_package_docstring_example_runs() -> None:
    doc = solver.venues.__doc__ or ""
    code = textwrap.dedent(doc.split("::", 1)[1].split('"""')[0])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "solver.venues example", "exec"), {})
    assert "VenueStats" in out.getvalue()


def test_spec_conversions_and_summary() -> None:
    spec = ContractSpec()  # tick 0.01, lot 0.001: one unit is 0.00001 dollars
    assert spec.ticks("101.234") == 10_123 and spec.lots("-2.5") == -2_500 and spec.units("1.5") == 150_000
    assert spec.dollars(150_000) == Decimal("1.5") and spec.price(10_123) == Decimal("101.23")
    v = PerpVenue(OracleVault(spread_bps=0), oracle=spec.ticks(100))
    v.fund_deposit(spec.units(1_000))
    v.open_account("a", deposit=spec.units(500))
    v.trade("a", spec.lots(10))
    s = v.summary()
    assert (s["mark"], s["fund"], s["open_interest"], s["bad_debt"]) == (
        Decimal("100.00"),
        Decimal("1000.00000"),
        Decimal("10.000"),
        Decimal("0.00000"),
    )
