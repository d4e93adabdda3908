"""The solver's signing key: from the environment or an encrypted keystore, never from a flag or a file in
the clear, and never printed.

- `SOLVER_PRIVATE_KEY`: a 32-byte hex key (with or without 0x);
- `--keystore FILE` (or `SOLVER_KEYSTORE`): a Web3 Secret Storage JSON file (what `cast wallet new`, geth and
  eth-account write), its password from `SOLVER_KEYSTORE_PASSWORD` or, on a terminal, a prompt.

Errors say which setting is wrong, never its value. Without either, the solver uses the node's own accounts
(anvil's unlocked dev accounts on the built-in chain and on forks).
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

PRIVATE_KEY_ENV = "SOLVER_PRIVATE_KEY"
KEYSTORE_ENV = "SOLVER_KEYSTORE"
PASSWORD_ENV = "SOLVER_KEYSTORE_PASSWORD"


class SignerError(ValueError):
    """The key could not be loaded; the message names the setting, never the secret."""


def load_signer(
    keystore: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> LocalAccount | None:
    """The signer the environment (or `keystore`) gives, or None when none is set."""
    env = os.environ if environ is None else environ
    keystore = keystore or env.get(KEYSTORE_ENV) or None
    raw = env.get(PRIVATE_KEY_ENV, "").strip()
    if raw and keystore:
        raise SignerError(f"both {PRIVATE_KEY_ENV} and a keystore are set: use one")
    if raw:
        return _from_hex(raw)
    if keystore:
        return _from_keystore(Path(keystore), env)
    return None


def _from_hex(raw: str) -> LocalAccount:
    digits = raw[2:] if raw.lower().startswith("0x") else raw
    if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise SignerError(f"{PRIVATE_KEY_ENV} is not a 32-byte hex private key")
    try:
        return Account.from_key("0x" + digits)
    except ValueError:
        raise SignerError(f"{PRIVATE_KEY_ENV} is not a valid secp256k1 private key") from None


def _from_keystore(path: Path, env: Mapping[str, str]) -> LocalAccount:
    try:
        document = json.loads(path.read_text())
    except OSError as e:
        raise SignerError(f"cannot read keystore {path}: {e.strerror or e}") from None
    except json.JSONDecodeError:
        raise SignerError(f"keystore {path} is not JSON") from None
    password = env.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise SignerError(f"keystore {path}: set {PASSWORD_ENV} (no terminal to ask for the password)")
        password = getpass.getpass(f"password for {path}: ")
    try:
        key = Account.decrypt(document, password)
    except ValueError:
        raise SignerError(f"keystore {path}: wrong password or not a keystore") from None
    except (KeyError, TypeError):
        raise SignerError(f"keystore {path} is not a Web3 Secret Storage file") from None
    return Account.from_key(key)
