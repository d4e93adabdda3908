"""CoW Protocol: orders, batch settlement on GPv2Settlement, and a solver engine speaking the official API."""
