"""Split routing across v2 and v3 pools."""
