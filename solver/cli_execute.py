"""`solver execute`: route one order as `solver route` does, simulate it, then send it through the
RouteExecutor (at its documented address) from the solver's key, as a bot would.

The key comes from SOLVER_PRIVATE_KEY or --keystore (solver.keys) and is never printed; transactions are
signed here (EIP-1559, nonces tracked locally). Without a key, only anvil (the built-in chain, a fork, or an
anvil given with --rpc-url) sends, from a dev account; a live node without a key is a one-line error. The
approval given is exactly what the route can pull, so no standing allowance is left behind.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from amm.chain.errors import ChainError
from amm.chain.node import Node
from amm.chain.tokens import balances, erc20
from amm.cli.common import ForkBlock, ForkUrl, JsonFlag, RpcUrl, chain_from_options, out, print_json
from solver.cli_order import (
    BuyExactOption,
    BuyOption,
    MaxHopsOption,
    SlippageBpsOption,
    order_words,
    raw_amount,
    render_route,
    whole_units,
)
from solver.keys import SignerError, load_signer
from solver.routing.executor import Execution, RouteExecutor, is_anvil
from solver.routing.route import Route
from solver.routing.router import Router
from solver.routing.universe import DEFAULT_TOKENS, Universe

DEADLINE_SECONDS = 300


def execute_command(
    sell: Annotated[
        str | None,
        typer.Option(
            "--sell",
            metavar="[AMOUNT] TOKEN",
            help="What to sell: 'AMOUNT TOKEN' (exact input), or just TOKEN with --buy-exact.",
        ),
    ] = None,
    buy: BuyOption = None,
    buy_exact: BuyExactOption = None,
    gas_price_gwei: Annotated[
        float | None,
        typer.Option("--gas-price-gwei", help="Gas price the route nets out (default: the node's)."),
    ] = None,
    priority_fee_gwei: Annotated[
        float | None,
        typer.Option(
            "--priority-fee-gwei",
            help="EIP-1559 tip of the transactions (default: eth_maxPriorityFeePerGas).",
        ),
    ] = None,
    max_hops: MaxHopsOption = 3,
    slippage_bps: SlippageBpsOption = 50,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Route and simulate only: send nothing, approve nothing.")
    ] = False,
    keystore: Annotated[
        Path | None,
        typer.Option(
            "--keystore",
            metavar="FILE.json",
            help="Send from this encrypted keystore (password from SOLVER_KEYSTORE_PASSWORD or a prompt); "
            "or set SOLVER_PRIVATE_KEY. Default on anvil: a dev account.",
        ),
    ] = None,
    rpc_url: RpcUrl = None,
    fork_url: ForkUrl = None,
    fork_block_number: ForkBlock = None,
    json: JsonFlag = False,
) -> None:
    """Route one order, simulate it, and send it through the RouteExecutor: prints the route (as `solver
    route` does), the transaction, its gas and what was received.

    The sender approves the executor for exactly what the route may pull (nothing standing is left). Without
    chain options it runs on the built-in chain, where the executor sits at its documented address; on an
    anvil fork it is CREATE2-deployed there first.

    Examples:

      solver execute --sell 1000 USDC --buy WETH --dry-run

      solver execute --sell USDC --buy-exact 2 WETH --slippage-bps 30 --json | jq .execution

      SOLVER_PRIVATE_KEY=0x... solver execute --sell 5 WETH --buy USDT --rpc-url http://127.0.0.1:8545

      solver execute --sell 1 WETH --buy DAI --keystore bot.json --fork-url https://eth-mainnet.example/v2/KEY
    """

    exact_in, sell_amount, sell_token, buy_amount, buy_token = order_words(sell, buy, buy_exact)
    try:
        signer = load_signer(keystore)
    except SignerError as error:
        raise ChainError(str(error)) from None
    with chain_from_options(rpc_url, fork_url, fork_block_number, quiet=json) as session:
        node = session.node
        if priority_fee_gwei is not None:
            node.priority_fee_wei = round(priority_fee_gwei * 1e9)
        universe = Universe.discover(node, DEFAULT_TOKENS)
        token_in, token_out = universe.token(sell_token), universe.token(buy_token)
        amount = raw_amount(sell_amount, token_in) if exact_in else raw_amount(buy_amount, token_out)
        started = time.perf_counter()
        route = Router(universe, max_hops=max_hops, node=node).route(  # no --gas-price-gwei: the node's
            token_in.address,
            token_out.address,
            amount,
            "exact_in" if exact_in else "exact_out",
            gas_price_wei=None if gas_price_gwei is None else round(gas_price_gwei * 1e9),
            slippage_bps=slippage_bps,
        )
        seconds = time.perf_counter() - started
        if not route.legs:
            raise ChainError("no route: nothing to execute")
        sender = _sender(node, session.roles, signer, route)
        executor = RouteExecutor.at_known_address(node, None if dry_run else sender)
        need = route.max_amount_in
        _check_funds(node, sender, route, need)
        allowance = int(erc20(node, token_in.address).call("allowance", sender, executor.address))
        approve_amount = need if allowance < need else 0
        deadline = executor.deadline(DEADLINE_SECONDS)
        simulated = executor.simulate(route, sender=sender, deadline=deadline, approve_amount=approve_amount)
        result: dict[str, Any] = {
            "sender": sender,
            "executor": executor.address,
            "approve": str(approve_amount),
            "simulated": {"amount_in": str(simulated[0]), "amount_out": str(simulated[1])},
            "dry_run": dry_run,
        }
        if not dry_run:
            done, received, spent = _send(node, executor, route, sender, approve_amount, deadline)
            result["execution"] = {
                "tx_hash": done.tx_hash,
                "block": int(done.receipt["blockNumber"], 16),
                "gas_used": done.gas_used,
                "effective_gas_price": str(int(done.receipt.get("effectiveGasPrice", "0x0"), 16)),
                "amount_in": str(done.amount_in),
                "amount_out": str(done.amount_out),
                "received": str(received),
                "spent": str(spent),
                "legs": [
                    {
                        "index": leg.index,
                        "pool": leg.pool,
                        "amount_in": str(leg.amount_in),
                        "amount_out": str(leg.amount_out),
                    }
                    for leg in done.legs
                ],
            }
    if json:
        data = route.to_dict()
        data["chain"] = session.description
        data.update(result)
        print_json(data)
        return
    render_route(route, universe, session.description, seconds)
    _report(route, result)


def _sender(node: Node, roles: Any, signer: Any, route: Route) -> str:
    """Who sends: the key's account (signed here), else on anvil a dev account holding the input (the
    built-in chain's free accounts first), else a one-line error."""
    if signer is not None:
        return node.add_signer(signer)
    if not is_anvil(node):
        raise ChainError(
            "no key to send with on this node: set SOLVER_PRIVATE_KEY or give --keystore (or use --dry-run)"
        )
    accounts = list(roles.users) if roles is not None else node.accounts()
    if roles is None and len(accounts) >= 10:
        accounts = accounts[6:] + accounts[:6]  # anvil's 6-9 are the built-in chain's free accounts
    if not accounts:
        raise ChainError("the node has no dev accounts: set SOLVER_PRIVATE_KEY or give --keystore")
    for account in accounts:
        (held,) = balances(node, [route.token_in.address], account)
        if held >= route.max_amount_in:
            return account
    return accounts[0]


def _check_funds(node: Node, sender: str, route: Route, need: int) -> None:
    """One-line errors before anything is sent: not enough of the input, or no ETH for gas."""
    token = route.token_in
    (held,) = balances(node, [token.address], sender)
    if held < need:
        raise ChainError(
            f"insufficient {token.symbol}: {sender} holds {whole_units(held, token.decimals)},"
            f" the route needs {whole_units(need, token.decimals)}"
        )
    if node.balance(sender) == 0:
        raise ChainError(f"{sender} has no ETH to pay for gas")


def _send(
    node: Node, executor: RouteExecutor, route: Route, sender: str, approve_amount: int, deadline: int
) -> tuple[Execution, int, int]:
    """Approve exactly what the route may pull (if the allowance falls short), send it; returns the
    execution and the sender's balance changes (received of the output, spent of the input)."""
    tokens = [route.token_in.address, route.token_out.address]
    before = balances(node, tokens, sender)
    if approve_amount:
        erc20(node, route.token_in.address).transact(
            "approve", executor.address, approve_amount, sender=sender
        )
    done = executor.execute(route, sender=sender, deadline=deadline, approve_input=False)
    after = balances(node, tokens, sender)
    return done, after[1] - before[1], before[0] - after[0]


def _report(route: Route, result: dict[str, Any]) -> None:
    token_in, token_out = route.token_in, route.token_out
    sim = result["simulated"]
    approve = int(result["approve"])
    note = f" after approving {whole_units(approve, token_in.decimals)} {token_in.symbol}" if approve else ""
    out.print(
        f"simulated{note}: {whole_units(int(sim['amount_in']), token_in.decimals)} {token_in.symbol} -> "
        f"{whole_units(int(sim['amount_out']), token_out.decimals)} {token_out.symbol}",
        highlight=False,
    )
    if result["dry_run"]:
        out.print(f"dry run: nothing sent (sender {result['sender']}, executor {result['executor']})")
        return
    done = result["execution"]
    out.print(f"sent {done['tx_hash']} from {result['sender']} via {result['executor']}", highlight=False)
    out.print(
        f"mined in block {done['block']}: gas used {done['gas_used']:,}; spent "
        f"{whole_units(int(done['spent']), token_in.decimals)} {token_in.symbol}, received "
        f"{whole_units(int(done['received']), token_out.decimals)} {token_out.symbol}",
        highlight=False,
    )
