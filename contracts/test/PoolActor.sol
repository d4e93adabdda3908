// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @dev The slice of UniswapV3Pool (v3-core 1.0.1) that an LP or trader calls directly.
interface IUniswapV3PoolActions {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function burn(int24 tickLower, int24 tickUpper, uint128 amount) external returns (uint256 amount0, uint256 amount1);
    function collect(
        address recipient,
        int24 tickLower,
        int24 tickUpper,
        uint128 amount0Requested,
        uint128 amount1Requested
    ) external returns (uint128 amount0, uint128 amount1);
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
    function flash(address recipient, uint256 amount0, uint256 amount1, bytes calldata data) external;
}

/// @title PoolActor
/// @notice Calls a Uniswap v3 pool directly (mint, burn, collect, swap, flash), with any arguments, and pays
///         what the pool asks in its callbacks from its own token balance. Each instance is one position
///         owner (the pool keys positions by the caller), which is what differential tests of a pool model
///         need.
/// @dev TEST ONLY: the callbacks pay whoever calls them. Never hold real funds in it.
contract PoolActor {
    function mint(address pool, int24 tickLower, int24 tickUpper, uint128 amount)
        external
        returns (uint256 amount0, uint256 amount1)
    {
        return IUniswapV3PoolActions(pool).mint(address(this), tickLower, tickUpper, amount, "");
    }

    function burn(address pool, int24 tickLower, int24 tickUpper, uint128 amount)
        external
        returns (uint256 amount0, uint256 amount1)
    {
        return IUniswapV3PoolActions(pool).burn(tickLower, tickUpper, amount);
    }

    function collect(address pool, int24 tickLower, int24 tickUpper, uint128 amount0Requested, uint128 amount1Requested)
        external
        returns (uint128 amount0, uint128 amount1)
    {
        return IUniswapV3PoolActions(pool).collect(address(this), tickLower, tickUpper, amount0Requested, amount1Requested);
    }

    function swap(address pool, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96)
        external
        returns (int256 amount0, int256 amount1)
    {
        return IUniswapV3PoolActions(pool).swap(address(this), zeroForOne, amountSpecified, sqrtPriceLimitX96, "");
    }

    /// @notice Borrow amount0/amount1 and give back repay0/repay1 in total (loan + fee + any tip, or less to
    ///         see the pool revert F0/F1).
    function flash(address pool, uint256 amount0, uint256 amount1, uint256 repay0, uint256 repay1) external {
        IUniswapV3PoolActions(pool).flash(address(this), amount0, amount1, abi.encode(repay0, repay1));
    }

    function uniswapV3FlashCallback(uint256, uint256, bytes calldata data) external {
        (uint256 repay0, uint256 repay1) = abi.decode(data, (uint256, uint256));
        _pay(msg.sender, repay0, repay1);
    }

    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata) external {
        _pay(msg.sender, amount0Owed, amount1Owed);
    }

    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        _pay(msg.sender, amount0Delta > 0 ? uint256(amount0Delta) : 0, amount1Delta > 0 ? uint256(amount1Delta) : 0);
    }

    function _pay(address pool, uint256 amount0, uint256 amount1) private {
        if (amount0 > 0) require(IERC20(IUniswapV3PoolActions(pool).token0()).transfer(pool, amount0), "pay0");
        if (amount1 > 0) require(IERC20(IUniswapV3PoolActions(pool).token1()).transfer(pool, amount1), "pay1");
    }
}
