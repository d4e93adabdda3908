"""The README's example `solver.toml` loads as it is printed: a user copying it gets what it says."""

from __future__ import annotations

import re
from pathlib import Path

from solver.run_config import load_run_config

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_config_example_loads(tmp_path: Path) -> None:
    (block,) = re.findall(r"```toml\n(# solver.toml.*?)```", README.read_text(), flags=re.S)
    path = tmp_path / "solver.toml"
    path.write_text(block)
    config = load_run_config(path)
    assert config.pricing.gamma == 0.2 and config.risk.max_fill_notional == 50_000
    assert config.risk.max_inventory == {"WBTC": 20 * 10**8}
    assert config.risk.max_inventory_value == {"*": 2_000_000}
    assert config.hedging is not None and config.hedging.kind == "threshold"
    assert config.inventory.funding == {"WETH": 100, "USDC": 300_000}
