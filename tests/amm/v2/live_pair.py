"""A real UniswapV2Pair on anvil and an `amm.v2.Pair` driven side by side, compared after every call.

EOAs drive the pair the way routers and bots do: tokens are transferred in first (the model's balances see
them), then the pair is called at a chosen block timestamp; the outcome (amounts from the events, or the
revert reason) and the whole pair state (reserves, timestamp, price accumulators, kLast, supply, every LP
balance, token balances) must equal the model's.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from amm.chain import addresses as mainnet
from amm.chain import artifacts
from amm.errors import Revert
from amm.v2.pair import ZERO_ADDRESS, Pair

if TYPE_CHECKING:
    from tests.amm.bare_chain import Bare

FUNDS = 2**200
PAIR = artifacts.interface("UniswapV2Pair")
ERC20 = artifacts.interface("MintableERC20")


@dataclass
class V2Rig:
    """Two fresh tokens held by four EOAs (users) on the bare chain, and a feeTo address."""

    chain: Bare
    token0: str
    token1: str

    @property
    def users(self) -> list[str]:
        return self.chain.accounts[2:6]

    @property
    def fee_to(self) -> str:
        return self.chain.accounts[6]

    @classmethod
    def deploy(cls, chain: Bare) -> V2Rig:
        token0, token1 = mainnet.sort_tokens(chain.deploy_token("PA"), chain.deploy_token("PB"))
        for token in (token0, token1):
            chain.mint_tokens(token, chain.accounts[2:6], FUNDS)
        return cls(chain, token0, token1)


@dataclass
class LivePair:
    """A pair on chain and its model; each method runs both, compares, and returns the chain's outcome."""

    rig: V2Rig
    address: str
    model: Pair
    ts: int
    ops: int = 0
    reverts: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, rig: V2Rig, ts: int) -> LivePair:
        chain = rig.chain
        factory = chain.node.contract("UniswapV2Factory", chain.v2_factory)
        chain.node.set_next_block_timestamp(ts)
        chain.send(
            chain.deployer, factory.address, factory.interface.encode("createPair", rig.token0, rig.token1)
        )
        address = to_checksum_address(factory.call("getPair", rig.token0, rig.token1))
        return cls(rig, address, Pair(address=address, token0=rig.token0, token1=rig.token1), ts)

    def _tx(self, sender: str, to: str, data: bytes) -> Any:
        return self.rig.chain.try_send(sender, to, data, at=self.ts)

    def transfer_in(self, sender: str, amount0: int, amount1: int) -> None:
        """Tokens sent to the pair without a call (what routers do before mint/swap); the model sees them."""
        for token, amount in ((self.rig.token0, amount0), (self.rig.token1, amount1)):
            if amount:
                sent = self._tx(sender, token, ERC20.encode("transfer", self.address, amount))
                assert not isinstance(sent, str), sent
        self.model.balance0 += amount0
        self.model.balance1 += amount1

    def call(self, what: str, sender: str, data: bytes, read: Callable[[Any], tuple], model: Callable) -> Any:
        """Call the pair at self.ts and run `model` (taking the timestamp); compare outcomes."""
        self.ops += 1
        self.log.append(f"t={self.ts} {what}")
        sent = self._tx(sender, self.address, data)
        chain = sent if isinstance(sent, str) else read(sent)
        before = copy.deepcopy(self.model.__dict__) if isinstance(chain, str) else None
        try:
            ours: Any = model(self.ts)
        except Revert as err:
            ours = err.reason
            assert before is None or self.model.__dict__ == before, f"{what}: the model changed on a revert"
        if isinstance(chain, str):
            self.reverts += 1
            self.reasons[f"{what.partition(' ')[0]} {chain!r}"] += 1
        assert ours == chain, f"{what}: model {ours!r} != chain {chain!r}\n" + "\n".join(self.log[-12:])
        return chain

    # ------------------------------------------------------------------------- what routers and bots do
    def mint(self, who: str, to: str, amount0: int, amount1: int) -> Any:
        """Transfer both amounts in, then mint(to): (liquidity minted to `to`,) or the revert reason."""
        self.transfer_in(who, amount0, amount1)
        return self.call(
            f"mint to {to[:8]} after {amount0}, {amount1}",
            who,
            PAIR.encode("mint", to),
            lambda r: (self._minted_to(r, to),),
            lambda ts: (self.model.mint(to, 0, 0, timestamp=ts),),
        )

    def burn(self, who: str, to: str, liquidity: int) -> Any:
        """Transfer LP tokens to the pair, then burn(to): (amount0, amount1) or the revert reason."""
        self.transfer_lp(who, self.address, liquidity)
        return self.call(
            f"burn to {to[:8]}",
            who,
            PAIR.encode("burn", to),
            lambda r: (self.events(r, "Burn")[0]["amount0"], self.events(r, "Burn")[0]["amount1"]),
            lambda ts: self.model.burn(who, 0, timestamp=ts),
        )

    def swap(self, who: str, outs: tuple[int, int], ins: tuple[int, int], to: str) -> Any:
        """Transfer the inputs in, then swap(outs, to): (amount0In, amount1In) or the revert reason."""
        self.transfer_in(who, *ins)
        return self.call(
            f"swap out {outs} after {ins} to {to[:8]}",
            who,
            PAIR.encode("swap", outs[0], outs[1], to, b""),
            lambda r: (self.events(r, "Swap")[0]["amount0In"], self.events(r, "Swap")[0]["amount1In"]),
            lambda ts: self.model.swap(outs[0], outs[1], 0, 0, to=to, timestamp=ts),
        )

    def skim(self, who: str, to: str) -> Any:
        return self.call(
            "skim", who, PAIR.encode("skim", to), self.token_transfers, lambda ts: self.model.skim()
        )

    def sync(self, who: str) -> Any:
        return self.call(
            "sync", who, PAIR.encode("sync"), lambda r: (), lambda ts: self.model.sync(timestamp=ts) or ()
        )

    def transfer_lp(self, who: str, to: str, amount: int) -> Any:
        return self.call(
            f"LP transfer {amount} to {to[:8]}",
            who,
            PAIR.encode("transfer", to, amount),
            lambda r: (),
            lambda ts: self.model.transfer(who, to, amount) or (),
        )

    def set_fee_to(self, fee_to: str) -> None:
        """The factory's feeTo, set by its feeToSetter (the impersonated timelock); ZERO_ADDRESS: off."""
        chain = self.rig.chain
        data = artifacts.interface("UniswapV2Factory").encode("setFeeTo", fee_to)
        assert not isinstance(self._tx(chain.owner, chain.v2_factory, data), str)
        self.model.fee_to = None if fee_to == ZERO_ADDRESS else fee_to
        self.log.append(f"t={self.ts} feeTo {fee_to}")

    def _minted_to(self, receipt: Any, to: str) -> int:
        """LP minted to `to` (the Transfer from the zero address; feeTo's share is a separate one)."""
        logs = self.events(receipt, "Transfer")
        return sum(
            log["value"] for log in logs if int(log["from"], 16) == 0 and log["to"].lower() == to.lower()
        )

    def events(self, receipt: Any, name: str) -> list[dict[str, Any]]:
        return self.rig.chain.node.contract(PAIR, self.address).events(receipt, name)

    def token_transfers(self, receipt: Any) -> tuple[int, int]:
        """Amounts of token0 and token1 the pair sent out in this receipt."""
        out = []
        for token in (self.rig.token0, self.rig.token1):
            logs = self.rig.chain.node.contract(ERC20, token).events(receipt, "Transfer")
            out.append(sum(log["value"] for log in logs if log["from"].lower() == self.address.lower()))
        return out[0], out[1]

    def check_state(self) -> None:
        holders = [*self.rig.users, self.rig.fee_to, ZERO_ADDRESS, self.address]
        to = self.address
        calls = [
            (to, PAIR.encode(n)) for n in ("getReserves", "price0CumulativeLast", "price1CumulativeLast")
        ]
        calls += [(to, PAIR.encode(n)) for n in ("kLast", "totalSupply")]
        calls += [(to, PAIR.encode("balanceOf", h)) for h in holders]
        calls += [(t, ERC20.encode("balanceOf", to)) for t in (self.rig.token0, self.rig.token1)]
        raw = [bytes.fromhex(r[2:]) for r in self.rig.chain.read(calls)]
        chain = {
            "reserves": PAIR.decode("getReserves", raw[0]),
            "cumulatives": (int.from_bytes(raw[1]), int.from_bytes(raw[2])),
            "kLast": int.from_bytes(raw[3]),
            "totalSupply": int.from_bytes(raw[4]),
            "lp": [int.from_bytes(r) for r in raw[5 : 5 + len(holders)]],
            "balances": (int.from_bytes(raw[-2]), int.from_bytes(raw[-1])),
        }
        m = self.model
        ours = {
            "reserves": m.get_reserves(),
            "cumulatives": (m.price0_cumulative_last, m.price1_cumulative_last),
            "kLast": m.k_last,
            "totalSupply": m.total_supply,
            "lp": [m.balance_of.get(h, 0) for h in holders],
            "balances": (m.balance0, m.balance1),
        }
        for key, value in chain.items():
            assert ours[key] == value, f"{key}: model {ours[key]} != chain {value}\n" + "\n".join(
                self.log[-12:]
            )
        assert sum(m.balance_of.values()) == m.total_supply
