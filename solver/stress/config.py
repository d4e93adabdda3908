"""Scenario files: small TOML files shipped in `solver/stress/scenarios/`, read into typed dataclasses.

Why typed dataclasses and not raw dicts: a misspelt key in a TOML file or a `--set` would otherwise be
silently ignored and the run would answer a different question. Every table and key is checked against the
scenario engine's dataclasses, and every error is one line that names the bad key
(`gap.sise: unknown key (known: distribution, size, mean, stdev, df)`).

Adding a scenario: drop `NAME.toml` into `solver/stress/scenarios/` with `name`, `description` and `engine`
(an engine in `solver.stress.engine.ENGINES`) and any keys of that engine's config to change from its
defaults. `--set key=value` (dotted keys) overrides a loaded file: the value is read as a TOML value
(`-0.3`, `true`, `["vault", "onchain"]`), or as a bare string (`socialised`), or for a list as
comma-separated words (`vault,onchain`).
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

T = TypeVar("T")
PACKAGE = "solver.stress"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded or run as asked; the message is one line naming the cause."""


@dataclass(frozen=True)
class ScenarioFile:
    """One scenario file before its engine reads it: `data` is the TOML less name, description, engine."""

    name: str
    description: str
    engine: str
    data: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def _scenario_dir() -> Any:
    return resources.files(PACKAGE).joinpath("scenarios")


def shipped_files() -> dict[str, ScenarioFile]:
    """Every scenario file shipped in the package, by name (files that do not parse are skipped here and
    reported by `load_file` when asked for by name)."""
    found: dict[str, ScenarioFile] = {}
    for entry in sorted(_scenario_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            try:
                scenario = parse_text(entry.read_text(encoding="utf-8"), entry.name)
            except ScenarioError:
                continue
            found[scenario.name] = scenario
    return dict(sorted(found.items()))


def parse_text(text: str, source: str) -> ScenarioFile:
    """A scenario file's text -> ScenarioFile; the three header keys are required strings."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{source}: not valid TOML: {e}") from None
    header = {}
    for key in ("name", "description", "engine"):
        value = data.pop(key, None)
        if not isinstance(value, str) or not value:
            raise ScenarioError(f"{source}: {key}: required (a non-empty string)")
        header[key] = value
    return ScenarioFile(header["name"], header["description"], header["engine"], data, source)


def load_file(name_or_path: str) -> ScenarioFile:
    """A shipped scenario by name, or a TOML file by path (for scenarios of your own)."""
    if name_or_path.endswith(".toml"):
        path = Path(name_or_path)
        if not path.is_file():
            raise ScenarioError(f"no scenario file {name_or_path}")
        return parse_text(path.read_text(encoding="utf-8"), path.name)
    entry = _scenario_dir().joinpath(f"{name_or_path}.toml")
    if entry.is_file():
        return parse_text(entry.read_text(encoding="utf-8"), entry.name)
    shipped = ", ".join(sorted(shipped_files()))
    raise ScenarioError(f"unknown scenario {name_or_path!r} (runnable: {shipped})")


# --- overrides --------------------------------------------------------------------------------------------


def parse_override(text: str) -> tuple[str, Any]:
    """'gap.size=-0.3' -> ('gap.size', -0.3); the value as TOML, else as a bare string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError(f"--set {text!r}: expected key=value with a dotted key, e.g. gap.size=-0.3")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    if isinstance(value, datetime | date | time):  # keep overrides JSON-able: the string, as typed
        value = raw
    return key, value


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `data` with each dotted key set (unknown keys are caught later, by `build`)."""
    result = _deep_copy(data)
    for key, value in overrides.items():
        node = result
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ScenarioError(f"{'.'.join(parts[: i + 1])}: is a value, not a table (in --set {key})")
            node = child
        node[parts[-1]] = value
    return result


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


# --- typed build ------------------------------------------------------------------------------------------


def build(cls: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
    """Instantiate dataclass `cls` from `data`, recursively; unknown keys and wrong types raise
    ScenarioError naming the dotted key. Missing keys keep the dataclass defaults."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{prefix}{key}"
        if key not in fields:
            raise ScenarioError(f"{where}: unknown key (known: {', '.join(fields)})")
        kwargs[key] = _coerce(hints[key], value, where)
    try:
        return cls(**kwargs)
    except ScenarioError:
        raise
    except (ValueError, TypeError) as e:
        raise ScenarioError(f"{prefix.rstrip('.')}: {e}" if prefix else str(e)) from None


def _coerce(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ScenarioError(f"{where}: expected a table of keys, got {value!r}")
        return build(hint, value, f"{where}.")  # type: ignore[arg-type]
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ScenarioError(f"{where}: expected one of {', '.join(map(str, choices))}, got {value!r}")
        return value
    if origin in (tuple, list):
        (item,) = typing.get_args(hint)[:1]
        if isinstance(value, str):
            value = [w.strip() for w in value.split(",") if w.strip()]
        if not isinstance(value, list | tuple):
            raise ScenarioError(f"{where}: expected a list, got {value!r}")
        return tuple(_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() == "none"):
            return None
        return _coerce(options[0], value, where)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ScenarioError(f"{where}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ScenarioError(f"{where}: expected a whole number, got {value!r}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ScenarioError(f"{where}: expected a number, got {value!r}")
    if hint is str:
        if isinstance(value, datetime | date | time):  # TOML reads 2026-01-09T20:00:00Z as a datetime
            return value.isoformat()
        if isinstance(value, str):
            return value
        raise ScenarioError(f"{where}: expected a string, got {value!r}")
    return value


def to_dict(obj: Any) -> Any:
    """A config dataclass as plain JSON-able data (tuples as lists), for reports and cache keys."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    return obj
