"""UniswapXFiller on its own, before any order: only the owner moves money, only the reactor it is calling can
call back, the inherited v3 callback guard holds, fillData is checked, and the contract fits in 24 KiB.

Fills through the real reactors (Permit2-signed orders) are tested with the order library.
"""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import keccak

from amm.chain import addresses as mainnet
from amm.chain.devnet.build import Roles
from amm.chain.errors import TransactionFailed
from amm.chain.node import Node
from amm.chain.tokens import balance_of, erc20
from solver.routing.executor import RouteExecutor, encode_legs
from solver.routing.router import Router
from solver.routing.universe import Universe
from solver.settlement.uniswapx_filler import NATIVE, UniswapXFiller

EIP170_LIMIT = 24_576
# UniswapX's mainnet ExclusiveDutchOrderReactor: a reactor address that is not the one the filler is calling
SOME_REACTOR = "0x6000da47483062A0D734Ba3dc7576Ce6A0B645C4"
ORDER = (b"\x01" * 64, b"\x02" * 65)  # a SignedOrder's (order, sig); never decoded in these tests


def _selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


@pytest.fixture
def owner(roles: Roles) -> str:
    return roles.users[2]


@pytest.fixture
def stranger(roles: Roles) -> str:
    return roles.users[3]


@pytest.fixture
def filler(chain: Node, roles: Roles, owner: str) -> UniswapXFiller:
    """A filler owned by `owner`, deployed by the chain's deployer inside this test's snapshot."""
    return UniswapXFiller.deploy(chain, owner, deployer=roles.deployer)


@pytest.fixture
def stocked(chain: Node, filler: UniswapXFiller, fund) -> dict[str, int]:
    """Inventory an attacker would like to take: USDC, WETH and ETH in the filler."""
    held = {mainnet.USDC: 10**12, mainnet.WETH: 50 * 10**18}
    for token, amount in held.items():
        fund(token, filler.address, amount)
    fund.eth(filler.address, 7 * 10**18)
    return held


def _holdings(chain: Node, filler: UniswapXFiller) -> tuple[int, int, int]:
    return (
        balance_of(chain, mainnet.USDC, filler.address),
        balance_of(chain, mainnet.WETH, filler.address),
        chain.balance(filler.address),
    )


def test_deploys_owned_with_the_shared_engine_and_fits_in_24_kib(
    chain: Node, filler: UniswapXFiller, owner: str
) -> None:
    assert len(chain.code(filler.address)) < EIP170_LIMIT
    assert filler.owner == owner
    contract = filler.contract
    assert contract.call("v3Factory").lower() == mainnet.V3_FACTORY.lower()
    assert contract.call("v3PoolInitCodeHash") == mainnet.V3_POOL_INIT_CODE_HASH
    pool = contract.call("v3Pool", mainnet.WETH, mainnet.USDC, 500)
    assert pool.lower() == mainnet.v3_pool_address(mainnet.USDC, mainnet.WETH, 500).lower()
    pair = contract.call("v2Pair", mainnet.WBTC, mainnet.WETH)
    assert pair.lower() == mainnet.v2_pair_address(mainnet.WETH, mainnet.WBTC).lower()


def _calls(filler: UniswapXFiller, to: str) -> dict[str, bytes]:
    fill_data = UniswapXFiller.encode_fill_data([], [])
    iface = filler.contract.interface
    return {
        "execute": filler.execute_call(SOME_REACTOR, [ORDER], fill_data),
        "executeBatch": filler.execute_call(SOME_REACTOR, [ORDER, ORDER], fill_data),
        "withdraw": iface.encode("withdraw", mainnet.USDC, to, 10**12),
        "withdrawNative": iface.encode("withdrawNative", to, 10**18),
    }


@pytest.mark.parametrize("function", ["execute", "executeBatch", "withdraw", "withdrawNative"])
def test_only_the_owner_can_move_money(
    chain: Node, filler: UniswapXFiller, stocked, stranger: str, function: str
) -> None:
    before = _holdings(chain, filler)
    data = _calls(filler, stranger)[function]
    assert data[:4] == filler.contract.interface.fn(function).selector
    with pytest.raises(TransactionFailed) as failed:  # as a raw transaction (the node's hex reason)
        chain.send(stranger, filler.address, data)
    assert (failed.value.reason or "").startswith(_selector("OwnableUnauthorizedAccount(address)"))
    with pytest.raises(TransactionFailed) as failed:  # through the wrapper: simulated, decoded, never sent
        filler.send(data, sender=stranger)
    assert failed.value.reason == f"OwnableUnauthorizedAccount({stranger})"
    assert failed.value.tx_hash == "(eth_call)"
    assert _holdings(chain, filler) == before


def _resolved_order_paying(recipient: str, outputs: list[tuple[str, int]]) -> tuple:
    """A ResolvedOrder whose outputs send `outputs` to `recipient` (what a malicious caller would craft)."""
    info = (SOME_REACTOR, recipient, 1, 2**40, NATIVE, b"")
    return (info, (mainnet.WETH, 0, 0), [(t, a, recipient) for t, a in outputs], b"", b"\x00" * 32)


@pytest.mark.parametrize("caller", ["stranger", "owner", "a reactor"])
def test_reactor_callback_outside_a_fill_reverts_and_moves_nothing(
    chain: Node, filler: UniswapXFiller, stocked, fund, stranger: str, owner: str, caller: str
) -> None:
    """Crafted orders owing the caller all the filler holds, with a route that would swap its inventory: the
    callback accepts only the reactor that execute/executeBatch is calling, during that call."""
    sender = {"stranger": stranger, "owner": owner, "a reactor": SOME_REACTOR}[caller]
    before = _holdings(chain, filler)
    order = _resolved_order_paying(
        sender, [(mainnet.USDC, before[0]), (mainnet.WETH, before[1]), (NATIVE, before[2])]
    )
    leg = (0, mainnet.WETH, mainnet.USDC, 500, 10**18, 0)
    data = filler.contract.interface.encode(
        "reactorCallback", [order], UniswapXFiller.encode_fill_data([leg], [])
    )
    fund.eth(SOME_REACTOR, 10**18)
    with chain.impersonating(SOME_REACTOR), pytest.raises(TransactionFailed) as failed:  # for "a reactor"
        chain.send(sender, filler.address, data)
    assert (failed.value.reason or "").startswith(_selector("UnexpectedReactor(address)"))
    assert _holdings(chain, filler) == before
    for token in (mainnet.USDC, mainnet.WETH):
        assert erc20(chain, token).call("allowance", filler.address, sender) == 0


def test_swap_callback_rejects_anyone_but_the_pool_being_swapped(
    chain: Node, filler: UniswapXFiller, stocked, stranger: str
) -> None:
    """The guard inherited from PoolLegs: even naming a genuine pool's tokens, a direct call gets nothing."""
    before = _holdings(chain, filler)
    data = filler.contract.interface.encode(
        "uniswapV3SwapCallback",
        10**12,
        0,
        encode(["address", "address", "uint24", "uint256"], [mainnet.USDC, mainnet.WETH, 500, 10**12]),
    )
    with pytest.raises(TransactionFailed) as failed:
        chain.send(stranger, filler.address, data)
    assert (failed.value.reason or "").startswith(_selector("UnexpectedCallback(address)"))
    assert _holdings(chain, filler) == before


def test_the_owner_withdraws_tokens_and_eth(
    chain: Node, filler: UniswapXFiller, stocked, owner: str, roles: Roles
) -> None:
    to = roles.users[1]
    usdc, weth, wei = _holdings(chain, filler)
    usdc_to, eth_to = balance_of(chain, mainnet.USDC, to), chain.balance(to)
    filler.withdraw(mainnet.USDC, to, 400_000 * 10**6, sender=owner)
    filler.withdraw_native(to, 3 * 10**18, sender=owner)
    assert _holdings(chain, filler) == (usdc - 400_000 * 10**6, weth, wei - 3 * 10**18)
    assert balance_of(chain, mainnet.USDC, to) == usdc_to + 400_000 * 10**6
    assert chain.balance(to) == eth_to + 3 * 10**18
    with pytest.raises(TransactionFailed) as failed:  # more than it holds: simulated, decoded
        filler.withdraw_native(to, 10**30, sender=owner)
    assert (failed.value.reason or "").startswith("InsufficientBalance(")


def test_ownership_moves_in_two_steps_and_cannot_be_renounced(
    chain: Node, filler: UniswapXFiller, owner: str, stranger: str
) -> None:
    with pytest.raises(TransactionFailed) as failed:
        filler.send(filler.contract.interface.encode("renounceOwnership"), sender=owner)
    assert failed.value.reason == "RenounceDisabled()"
    filler.contract.transact("transferOwnership", stranger, sender=owner)
    assert filler.owner == owner  # until the new owner accepts
    filler.contract.transact("acceptOwnership", sender=stranger)
    assert filler.owner == stranger


def test_fill_data_round_trips_and_execute_call_picks_single_or_batch(
    universe: Universe, filler: UniswapXFiller, executor: RouteExecutor
) -> None:
    route = Router(universe).route("WETH", "USDC", 100 * 10**18, slippage_bps=30, gas_price_wei=0)
    legs = encode_legs(route, 30)
    assert legs == executor.encode(route, recipient=NATIVE, deadline=0)[6]  # one encoding for both
    limits = {mainnet.USDC: 0, mainnet.WETH: -(10**18)}
    data = UniswapXFiller.encode_fill_data(legs, limits)
    decoded_legs, decoded_limits = UniswapXFiller.decode_fill_data(data)
    assert [tuple(x.lower() if isinstance(x, str) else x for x in leg) for leg in decoded_legs] == [
        tuple(x.lower() if isinstance(x, str) else x for x in leg) for leg in legs
    ]
    assert decoded_limits == list(limits.items())
    iface = filler.contract.interface
    assert filler.execute_call(SOME_REACTOR, [ORDER], data)[:4] == iface.fn("execute").selector
    assert filler.execute_call(SOME_REACTOR, [ORDER] * 3, data)[:4] == iface.fn("executeBatch").selector
    with pytest.raises(ValueError):
        filler.execute_call(SOME_REACTOR, [], data)


def test_malformed_fill_data_is_refused_before_the_reactor_is_called(
    chain: Node, filler: UniswapXFiller, owner: str
) -> None:
    good = UniswapXFiller.encode_fill_data([], [(mainnet.USDC, 0)])
    bad = [
        b"",
        good[:63],
        (2**64).to_bytes(32, "big") + good[32:],  # legs offset past the end
        good[:-32],  # the limit array is one word short
    ]
    for data in bad:
        with pytest.raises(TransactionFailed) as failed:
            filler.simulate(filler.execute_call(mainnet.WETH, [ORDER], data), sender=owner)
        assert failed.value.reason == "MalformedFillData()", data.hex()


def test_inventory_limits_are_checked_after_the_reactor_returns(
    chain: Node, filler: UniswapXFiller, stocked, owner: str
) -> None:
    """WETH9's fallback accepts any call, so as a "reactor" it returns without calling back: the fill moves
    nothing, and the limits decide. A limit the unchanged balance misses reverts with the change found."""
    reactor = mainnet.WETH
    ok = UniswapXFiller.encode_fill_data([], [(mainnet.USDC, 0), (NATIVE, -1), (mainnet.WETH, 0)])
    done = filler.execute(reactor, [ORDER], ok, sender=owner)
    assert done.orders == 1 and done.legs == ()
    (filled,) = filler.contract.events(done.receipt, "Filled")
    assert filled["reactor"].lower() == reactor.lower()
    batch = filler.execute(reactor, [ORDER, ORDER], ok, sender=owner)
    assert batch.orders == 2
    greedy = UniswapXFiller.encode_fill_data([], [(mainnet.USDC, 0), (mainnet.WETH, 1)])
    with pytest.raises(TransactionFailed) as failed:
        filler.execute(reactor, [ORDER], greedy, sender=owner)
    assert failed.value.reason == f"InventoryLimit({mainnet.WETH}, 0, 1)"
