"""The solver's key: from SOLVER_PRIVATE_KEY or an encrypted keystore, signing its own transactions (sent raw,
as to a node without unlocked accounts), and never printed or written anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

from amm.chain.node import Node
from amm.chain.session import ChainSession
from solver import cli
from solver.accounting.ledger import Ledger
from solver.keys import PASSWORD_ENV, PRIVATE_KEY_ENV, SignerError, load_signer

KEY = "0x" + "5a" * 32
OWNER = Account.from_key(KEY).address
runner = CliRunner()


def test_key_from_the_environment_with_or_without_0x() -> None:
    assert load_signer(environ={PRIVATE_KEY_ENV: KEY}).address == OWNER  # type: ignore[union-attr]
    assert load_signer(environ={PRIVATE_KEY_ENV: KEY[2:] + "\n"}).address == OWNER  # type: ignore[union-attr]
    assert load_signer(environ={}) is None


def test_key_from_a_keystore(tmp_path: Path) -> None:
    path = tmp_path / "owner.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "correct horse", iterations=2)))
    signer = load_signer(path, environ={PASSWORD_ENV: "correct horse"})
    assert signer is not None and signer.address == OWNER
    with pytest.raises(SignerError, match="wrong password"):
        load_signer(path, environ={PASSWORD_ENV: "battery staple"})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({PRIVATE_KEY_ENV: KEY[:-2]}, "SOLVER_PRIVATE_KEY is not a 32-byte hex private key"),
        ({PRIVATE_KEY_ENV: "0x" + "zz" * 32}, "SOLVER_PRIVATE_KEY is not a 32-byte hex private key"),
        ({PRIVATE_KEY_ENV: "0x" + "00" * 32}, "SOLVER_PRIVATE_KEY is not a valid secp256k1 private key"),
        ({PRIVATE_KEY_ENV: KEY, "SOLVER_KEYSTORE": "k.json"}, "both SOLVER_PRIVATE_KEY and a keystore"),
        ({"SOLVER_KEYSTORE": "/nonexistent/k.json"}, "cannot read keystore /nonexistent/k.json"),
    ],
)
def test_bad_keys_say_which_setting_never_its_value(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SignerError) as raised:
        load_signer(environ=environ)
    assert message in str(raised.value)
    if PRIVATE_KEY_ENV in environ:
        assert environ[PRIVATE_KEY_ENV][4:-4] not in str(raised.value)


def test_run_signs_with_the_environment_key_and_never_shows_it(
    devnet: ChainSession, chain: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`solver run --rpc-url` with SOLVER_PRIVATE_KEY: the filler is owned by the key's address, its fills are
    signed here and sent raw, and the key appears in no output and no file of the run directory."""
    chain.set_balance(OWNER, 10 * 10**18)
    monkeypatch.setenv(PRIVATE_KEY_ENV, KEY)
    run_dir = tmp_path / "run"
    args = [
        "run",
        "--blocks",
        "3",
        "--seed",
        "5",
        "--run-dir",
        str(run_dir),
        "--json",
        "--rpc-url",
        devnet.url,
    ]
    result = runner.invoke(cli.app, cli._normalise(args))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["filled"] > 0, data
    with Ledger.open(str(run_dir)) as ledger:
        (run,) = ledger.runs()
        filler = run["params"]["filler"]
        assert run["params"]["owner"] == OWNER
        sent = [f.tx_hash for f in ledger.fills()]
    owner_call = chain.call(filler, bytes.fromhex("8da5cb5b"))  # owner()
    assert owner_call[-20:].hex() == OWNER[2:].lower()
    for tx_hash in sent:  # each fill came from the key's account, not an unlocked dev account
        assert chain.rpc.call("eth_getTransactionByHash", [tx_hash])["from"].lower() == OWNER.lower()
    secret = KEY[2:].lower()
    assert secret not in result.output.lower() and secret not in (result.stderr or "").lower()
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes().lower(), path


def test_run_with_a_bad_key_exits_2_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRIVATE_KEY_ENV, "0x1234")
    result = runner.invoke(cli.app, ["run", "--blocks", "1"])
    assert result.exit_code == 2
    assert "SOLVER_PRIVATE_KEY is not a 32-byte hex private key" in result.output
    assert "Traceback" not in result.output
