"""Gas of a UniswapX fill through our filler: from inventory against routing the input (and a split).

    .venv/bin/python benchmarks/bench_uniswapx_gas.py

On the built-in chain (real reactors, Permit2 and pools), for each order kind the same order (30,000 USDC for
WETH, signed by a dev account) is filled three ways in a fresh snapshot: from the filler's WETH inventory,
by routing the whole input through the pools (the router's split at 30 bp slippage), and split half/half.
Printed: gas used per fill, and routing's and the split's gas as a multiple of the inventory fill measured in
the same run — the gas a market maker saves by internalising an order.
"""

from __future__ import annotations

from eth_account import Account

from amm.chain import addresses as mainnet
from amm.chain.session import start_devnet
from amm.chain.tokens import MAX_UINT256, approve, deal
from solver.intents.uniswapx import (
    DutchInput,
    DutchOutput,
    ExclusiveDutchOrder,
    NonlinearDutchDecay,
    Order,
    OrderInfo,
    PriorityInput,
    PriorityOrder,
    PriorityOutput,
    V2CosignerData,
    V2DutchOrder,
    V3CosignerData,
    V3DutchInput,
    V3DutchOrder,
    V3DutchOutput,
    reactor_for,
)
from solver.routing.router import Router
from solver.routing.universe import Universe
from solver.settlement.uniswapx import FillPlan, fill, resolve_for_next_block
from solver.settlement.uniswapx_filler import UniswapXFiller

SWAPPER_KEY = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"  # anvil dev account 6
SWAPPER = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"
COSIGNER_KEY = "0x" + "c0" * 32
COSIGNER = Account.from_key(COSIGNER_KEY).address
USDC_IN = 30_000 * 10**6
CHAIN_ID = 31337


def make(kind: str, now: int, block: int, amount_out: int) -> Order:
    """One order of `kind` selling USDC_IN for `amount_out` WETH, decaying 1% (cosigned where needed)."""
    info = OrderInfo(reactor_for(kind, CHAIN_ID), SWAPPER, block, now + 3_600)
    low = amount_out * 99 // 100
    if kind == "dutch":
        return ExclusiveDutchOrder(
            info=info, chain_id=CHAIN_ID, decay_start_time=now, decay_end_time=now + 120,
            input=DutchInput(mainnet.USDC, USDC_IN, USDC_IN),
            outputs=(DutchOutput(mainnet.WETH, amount_out, low, SWAPPER),),
        )  # fmt: skip
    if kind == "v2_dutch":
        order: Order = V2DutchOrder(
            info=info, chain_id=CHAIN_ID, cosigner=COSIGNER,
            base_input=DutchInput(mainnet.USDC, USDC_IN, USDC_IN),
            base_outputs=(DutchOutput(mainnet.WETH, amount_out, low, SWAPPER),),
            cosigner_data=V2CosignerData(now, now + 120, output_amounts=(0,)),
        )  # fmt: skip
    elif kind == "v3_dutch":
        curve = NonlinearDutchDecay.from_points([10], [amount_out - low])
        order = V3DutchOrder(
            info=info, chain_id=CHAIN_ID, cosigner=COSIGNER, starting_base_fee=0,
            base_input=V3DutchInput(mainnet.USDC, USDC_IN, NonlinearDutchDecay(), USDC_IN),
            base_outputs=(V3DutchOutput(mainnet.WETH, amount_out, curve, SWAPPER, low),),
            cosigner_data=V3CosignerData(block, output_amounts=(0,)),
        )  # fmt: skip
    else:
        order = PriorityOrder(
            info=info, chain_id=CHAIN_ID, cosigner=COSIGNER, auction_start_block=block,
            baseline_priority_fee_wei=10**12, input=PriorityInput(mainnet.USDC, USDC_IN),
            outputs=(PriorityOutput(mainnet.WETH, amount_out, 0, SWAPPER),), auction_target_block=block,
        )  # fmt: skip
    return order.cosign(COSIGNER_KEY)


def main() -> None:
    session = start_devnet()
    node = session.node
    try:
        owner = session.roles.users[2]
        universe = Universe.discover(node)
        router = Router(universe)
        route = router.route("USDC", "WETH", USDC_IN, slippage_bps=30, gas_price_wei=0)
        half = router.route("USDC", "WETH", USDC_IN // 2, slippage_bps=30, gas_price_wei=0)
        amount_out = half.amount_out * 2 * 9 // 10  # the split's inventory covers the rest
        print(f"order: {USDC_IN / 1e6:,.0f} USDC for {amount_out / 1e18:.4f} WETH; route of "
              f"{len(route.legs)} legs ({', '.join(leg.pool_name for leg in route.legs)})")  # fmt: skip
        print(
            f"\n{'kind':<10}{'inventory':>12}{'routed':>12}{'split':>12}{'routed/inv':>12}{'split/inv':>11}"
        )
        for kind in ("dutch", "v2_dutch", "v3_dutch", "priority"):
            gas = {}
            for mode in ("inventory", "routed", "split"):
                snapshot = node.snapshot()
                try:
                    filler = UniswapXFiller.deploy(node, owner)
                    deal(node, mainnet.WETH, filler.address, 100 * 10**18)
                    approve(node, mainnet.USDC, SWAPPER, mainnet.PERMIT2, MAX_UINT256)
                    pending = node.block("pending")
                    now, block = int(pending["timestamp"], 16), int(pending["number"], 16)
                    order = make(kind, now, block, amount_out)
                    plan = None
                    if mode != "inventory":
                        resolved = resolve_for_next_block(node, [order], filler.address)
                        plan = FillPlan.from_routes(resolved, [route if mode == "routed" else half])
                    result = fill([(order, order.sign(SWAPPER_KEY))], plan, filler=filler, sender=owner)
                    gas[mode] = result.gas_used
                finally:
                    node.revert(snapshot)
            inventory, routed, split = gas["inventory"], gas["routed"], gas["split"]
            print(f"{kind:<10}{inventory:>12,}{routed:>12,}{split:>12,}"
                  f"{routed / inventory:>11.2f}x{split / inventory:>10.2f}x")  # fmt: skip
        print("\nsummary: routing the input costs the pool legs on top of the inventory fill's reactor,"
              " Permit2 and transfers: the gas internalising an order saves")  # fmt: skip
    finally:
        session.close()


if __name__ == "__main__":
    main()
