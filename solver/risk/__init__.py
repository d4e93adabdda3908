"""Risk: limits on fills and losses (`RiskLimits`, `RiskState`), the kill switch (`KillSwitch`) and hedging
back toward target (`Hedger`, `execute_hedge`). Risk watches every step of the pipeline: the decision stage
asks `RiskState.allows_fill` and `Hedger.halted_side` before quoting, and the run loop polls the kill switch.
"""

from solver.risk.hedging import (
    HedgeFill,
    HedgeOrder,
    HedgePlan,
    Hedger,
    HedgeRefusal,
    HedgeRule,
    execute_hedge,
    execute_hedge_in_filler,
)
from solver.risk.kill import KillSwitch
from solver.risk.limits import (
    HALTED,
    KILLED,
    MAX_INVENTORY,
    MAX_INVENTORY_VALUE,
    MAX_NOTIONAL,
    RiskConfigError,
    RiskLimits,
    RiskState,
    load_limits,
    with_overrides,
)

__all__ = [
    "HALTED",
    "KILLED",
    "MAX_INVENTORY",
    "MAX_INVENTORY_VALUE",
    "MAX_NOTIONAL",
    "HedgeFill",
    "HedgeOrder",
    "HedgePlan",
    "HedgeRefusal",
    "HedgeRule",
    "Hedger",
    "KillSwitch",
    "RiskConfigError",
    "RiskLimits",
    "RiskState",
    "execute_hedge",
    "execute_hedge_in_filler",
    "load_limits",
    "with_overrides",
]
