"""LP analytics: position value, fees, IL, LVR, price paths and range analysis."""
