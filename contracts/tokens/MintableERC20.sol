// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MintableERC20
/// @notice A plain ERC-20 with any number of decimals and one minter. The built-in chain places copies of it
///         at the mainnet addresses of USDC, USDT, DAI and WBTC, so that pools and routers see real addresses.
/// @dev No fee-on-transfer, no blocklist, no proxy: the real tokens' quirks are not modelled here.
contract MintableERC20 is ERC20 {
    uint8 private immutable _decimals;
    address public immutable minter;

    error NotMinter(address caller);

    constructor(string memory name_, string memory symbol_, uint8 decimals_, address minter_)
        ERC20(name_, symbol_)
    {
        _decimals = decimals_;
        minter = minter_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Create `amount` tokens for `to`; only the minter may.
    function mint(address to, uint256 amount) external {
        if (msg.sender != minter) revert NotMinter(msg.sender);
        _mint(to, amount);
    }
}
