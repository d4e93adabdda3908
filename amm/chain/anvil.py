"""Start, watch and stop a local anvil node.

The binary comes from ANVIL_BIN, else an `anvil` on PATH, else the pinned npm package
(@foundry-rs/anvil-linux-amd64/bin/anvil; other platforms bring their own anvil). anvil binds a free
loopback port itself (`--port 0`) and we read the port from its log, so parallel nodes never race for a port.
Its output goes to a log file; when it dies the error quotes the log's last meaningful line.
"""

from __future__ import annotations

import ctypes
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from amm.chain.artifacts import project_root
from amm.chain.errors import AnvilDied, AnvilNotFound, ChainError, NodeUnreachable
from amm.chain.rpc import RpcClient

SETUP_HINT = "run `make setup` (installs the pinned npm anvil), or set ANVIL_BIN to an anvil binary"
_LISTENING = re.compile(r"Listening on ([0-9.]+):(\d+)")
_NPM_PLATFORMS = {
    ("Linux", "x86_64"): "linux-amd64",
    ("Linux", "aarch64"): "linux-arm64",
    ("Linux", "arm64"): "linux-arm64",
    ("Darwin", "x86_64"): "darwin-amd64",
    ("Darwin", "arm64"): "darwin-arm64",
    ("Windows", "AMD64"): "win32-amd64",
}


def find_anvil() -> Path:
    """The anvil binary to run: ANVIL_BIN, then PATH, then the npm package's binary."""
    env = os.environ.get("ANVIL_BIN")
    if env:
        path = Path(env)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise AnvilNotFound(f"ANVIL_BIN={env} is not an executable file; unset it or {SETUP_HINT}")
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    target = _NPM_PLATFORMS.get((platform.system(), platform.machine()), "")
    name = "anvil.exe" if platform.system() == "Windows" else "anvil"
    npm_bin = project_root() / "node_modules" / "@foundry-rs" / f"anvil-{target}" / "bin" / name
    if target and npm_bin.is_file():
        return npm_bin
    if target != "linux-amd64":  # the only platform build the project's npm registry serves
        hint = "install Foundry's anvil (https://getfoundry.sh) and put it on PATH, or set ANVIL_BIN"
        raise AnvilNotFound(f"anvil not found (no ANVIL_BIN, none on PATH): {hint}")
    raise AnvilNotFound(f"anvil not found (no ANVIL_BIN, none on PATH, none at {npm_bin}): {SETUP_HINT}")


def redact_url(url: str) -> str:
    """scheme://host[:port]/… — RPC URLs often carry an API key in the path or query; never show it."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "<invalid URL>"
    port = f":{parts.port}" if parts.port else ""
    tail = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.hostname}{port}{tail}"


def check_rpc_url(url: str, *, timeout: float = 10.0) -> int:
    """Ask `url` for its chain id; a clear one-line error if it is not a working JSON-RPC endpoint."""
    shown = redact_url(url)
    if shown == "<invalid URL>" or urlsplit(url).scheme not in ("http", "https", "ws", "wss"):
        raise NodeUnreachable(f"not an RPC URL: {url!r} (expected http(s)://host[:port][/path])")
    if urlsplit(url).scheme.startswith("ws"):
        return -1  # anvil checks websocket endpoints itself
    try:
        with RpcClient(url, timeout=timeout) as rpc:
            return int(rpc.call("eth_chainId"), 16)
    except NodeUnreachable as err:
        raise NodeUnreachable(f"cannot use RPC URL {shown}: {_reason(err)}") from None
    except ChainError as err:
        raise NodeUnreachable(f"RPC URL {shown} is not a working JSON-RPC endpoint: {err}") from None
    except (httpx.HTTPError, ValueError) as err:
        raise NodeUnreachable(f"cannot use RPC URL {shown}: {type(err).__name__}") from None


def _reason(err: Exception) -> str:
    text = str(err)
    return text.split(": ", 1)[1] if ": " in text else text


class Anvil:
    """One anvil process. Use as a context manager, or call start() and stop().

    `fork_url`/`fork_block_number` fork a real chain; `load_state` starts from a state file written by
    `anvil_dumpState` (the built-in mainnet-shaped chain). `args` passes any other anvil flags.
    """

    def __init__(
        self,
        *,
        fork_url: str | None = None,
        fork_block_number: int | None = None,
        load_state: Path | str | None = None,
        chain_id: int | None = None,
        args: Sequence[str] = (),
        binary: Path | str | None = None,
        startup_timeout: float | None = None,
        check_fork_url: bool = True,
        port: int = 0,
    ) -> None:
        if fork_block_number is not None and fork_url is None:
            raise ChainError("--fork-block-number needs --fork-url")
        self.fork_url = fork_url
        self.fork_block_number = fork_block_number
        self.load_state = Path(load_state) if load_state else None
        self.chain_id = chain_id
        self.extra_args = list(args)
        self.port = port  # 0: anvil picks a free one (read back from its log)
        self._binary = Path(binary) if binary else None
        self.startup_timeout = startup_timeout or (120.0 if fork_url else 30.0)
        self._check_fork_url = check_fork_url
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.url = ""
        self._rpc: RpcClient | None = None
        self._cache_dir: str | None = None

    # lifecycle -----------------------------------------------------------------------------------------
    def command(self) -> list[str]:
        binary = self._binary or find_anvil()
        cmd = [str(binary), "--host", "127.0.0.1", "--port", str(self.port)]
        if self.fork_url:
            cmd += ["--fork-url", self.fork_url]
            if self.fork_block_number is not None:
                cmd += ["--fork-block-number", str(self.fork_block_number)]
        if self.load_state:
            if not self.load_state.is_file():
                raise ChainError(f"state file {self.load_state} does not exist")
            cmd += ["--load-state", str(self.load_state)]
        if self.chain_id is not None:
            cmd += ["--chain-id", str(self.chain_id)]
        if not any(a.startswith(("--max-persisted-states", "--prune-history")) for a in self.extra_args):
            # anvil moves states older than its in-memory window to ~/.foundry/anvil/tmp and never removes
            # them, even on a clean stop: ~100 MB per thousand blocks per node (80 GB seen on one machine).
            cmd += ["--max-persisted-states", "0"]
        if self._cache_dir and not any(a.startswith("--cache-path") for a in self.extra_args):
            cmd += ["--cache-path", self._cache_dir]  # its own scratch directory, removed by stop()
        return cmd + self.extra_args

    def start(self) -> Anvil:
        if self.process is not None:
            return self
        if self.fork_url and self._check_fork_url:
            check_rpc_url(self.fork_url)
        self._cache_dir = tempfile.mkdtemp(prefix="anvil-cache-")
        cmd = self.command()
        fd, log_name = tempfile.mkstemp(prefix="anvil-", suffix=".log")
        self.log_path = Path(log_name)
        with os.fdopen(fd, "wb") as log:
            try:
                self.process = subprocess.Popen(
                    cmd,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C reaches us, not anvil, so stop() can run cleanly
                    preexec_fn=_die_with_parent,  # noqa: PLW1509 - one C call, nothing imported or locked
                )
            except OSError as err:
                raise AnvilNotFound(f"cannot run {cmd[0]}: {err.strerror}; {SETUP_HINT}") from None
        try:
            self._wait_listening()
        except BaseException:
            self.stop(keep_log=True)
            raise
        self._rpc = RpcClient(self.url, diagnose=self.diagnose)
        return self

    def _wait_listening(self) -> None:
        assert self.process is not None and self.log_path is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            match = _LISTENING.search(self.log_text())
            if match:
                self.url = f"http://{match.group(1)}:{match.group(2)}"
                return
            if self.process.poll() is not None:
                raise self._died("at start")
            time.sleep(0.02)
        waited = f"{self.startup_timeout:.0f} s"
        raise AnvilDied(f"anvil did not start listening within {waited}; log: {self.log_path}")

    def stop(self, *, keep_log: bool = False) -> None:
        """Terminate the node (SIGTERM, then SIGKILL after 5 s) and remove its log unless asked to keep it."""
        if self._rpc is not None:
            self._rpc.close()
            self._rpc = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self.log_path is not None and not keep_log:
            self.log_path.unlink(missing_ok=True)
        if self._cache_dir is not None:
            shutil.rmtree(self._cache_dir, ignore_errors=True)
            self._cache_dir = None

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # use -----------------------------------------------------------------------------------------------
    @property
    def rpc(self) -> RpcClient:
        if self._rpc is None:
            raise ChainError("anvil is not running: call start() first")
        return self._rpc

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def diagnose(self) -> ChainError | None:
        """Why the node cannot be reached: an AnvilDied if the process exited, else None."""
        if self.process is not None and self.process.poll() is not None:
            return self._died("while in use")
        return None

    def _died(self, when: str) -> AnvilDied:
        assert self.process is not None
        code = self.process.poll() or 0
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
        cause = _last_error_line(self.log_text())
        keep = f"; log: {self.log_path}" if self.log_path else ""
        if self.log_path is not None:  # keep the log of a dead node for the user to read
            kept = self.log_path.with_suffix(".dead.log")
            self.log_path.replace(kept)
            self.log_path = kept
            keep = f"; log: {kept}"
        because = f": {cause}" if cause else ""
        return AnvilDied(f"anvil (pid {self.process.pid}) {how} {when}{because}{keep}")


_PR_SET_PDEATHSIG = 1
_prctl = (
    ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None
)  # resolved here, not in the child


def _die_with_parent() -> None:
    """In the child before exec: on Linux, have the kernel SIGTERM anvil when the process that started it
    dies, even by SIGKILL, so a killed test run or script never leaves a node behind. (The signal fires when
    the starting *thread* exits: start nodes from a thread that outlives them, e.g. the main thread.)"""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _last_error_line(log: str) -> str:
    """The most telling line of an anvil log: its innermost 'Error #N:' cause, else its last error line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    causes = [line for line in lines if re.match(r"- Error #\d+:", line)]
    if causes:
        return causes[-1].split(":", 1)[1].strip()
    errors = [line for line in lines if "error" in line.lower()]
    return errors[-1][:300] if errors else ""


ANVIL_MNEMONIC = "test test test test test test test test test test test junk"  # public: test chains only


def dev_account_keys(count: int = 10) -> dict[str, str]:
    """Lower-case address -> private key of anvil's default dev accounts (its public test mnemonic), for
    printing to users of a local chain; never for anything that holds value."""
    from eth_account import Account  # noqa: PLC0415 - only `amm devnet serve` needs it

    Account.enable_unaudited_hdwallet_features()
    keys: dict[str, str] = {}
    for i in range(count):
        account = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        keys[account.address.lower()] = "0x" + bytes(account.key).hex()
    return keys
