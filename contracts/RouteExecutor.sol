// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {PoolLegs} from "./routing/PoolLegs.sol";

/// @title RouteExecutor
/// @notice Executes a split route atomically, leg by leg, directly on Uniswap v3 pools and v2 pairs: the caller's
///         input is pulled once, each leg swaps what the route has received so far, every leg and the total are
///         checked against the caller's limits, and the output (and any unspent input) is paid out at the end.
/// @dev The legs run on the shared engine `PoolLegs` (pools derived with CREATE2, never taken from the caller; the
///      v3 callback pays only the pool being swapped with). The contract keeps no funds between transactions:
///      per-token credits of the route are tracked in memory, and whatever remains after the last leg goes back to
///      the caller. Tokens that take a fee on transfer or rebase are not supported (their credits would not match
///      balances).
contract RouteExecutor is PoolLegs {
    using SafeERC20 for IERC20;

    /// @notice A route: the caller's input, the legs in execution order, and the protections.
    /// @param tokenIn Token pulled from the caller (approve this contract first).
    /// @param tokenOut Token paid to the recipient.
    /// @param amountIn Amount pulled: the whole input of an exact-input route, the maximum of an exact-output one.
    /// @param minAmountOut The least total output accepted.
    /// @param recipient Receives the output; unspent input goes back to the caller.
    /// @param deadline Latest block timestamp at which the route may execute.
    struct Route {
        address tokenIn;
        address tokenOut;
        uint256 amountIn;
        uint256 minAmountOut;
        address recipient;
        uint256 deadline;
        Leg[] legs;
    }

    /// @notice A route was executed for `sender`.
    event RouteExecuted(
        address indexed sender,
        address indexed recipient,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 amountOut
    );

    /// @notice The route's deadline has passed.
    error Expired(uint256 deadline, uint256 timestamp);
    /// @notice The route has no legs.
    error EmptyRoute();
    /// @notice The route's total output is below its minimum.
    error RouteSlippage(uint256 amountOut, uint256 minAmountOut);

    /// @param v3Factory_ Uniswap v3 factory (mainnet 0x1F98431c8aD98523631AE4a59f267346ea31F984).
    /// @param v3PoolInitCodeHash_ keccak256 of the v3 pool creation code (mainnet 0xe34f...8b54).
    /// @param v2Factory_ Uniswap v2 factory (mainnet 0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f).
    /// @param v2PairInitCodeHash_ keccak256 of the v2 pair creation code (mainnet 0x96e8...845f).
    constructor(address v3Factory_, bytes32 v3PoolInitCodeHash_, address v2Factory_, bytes32 v2PairInitCodeHash_)
        PoolLegs(v3Factory_, v3PoolInitCodeHash_, v2Factory_, v2PairInitCodeHash_)
    {}

    /// @notice Execute `route`: pull its input from the caller, run its legs in order, pay out.
    /// @return amountIn Input spent (the rest of what was pulled is refunded).
    /// @return amountOut Output paid to the recipient.
    function execute(Route calldata route) external returns (uint256 amountIn, uint256 amountOut) {
        if (block.timestamp > route.deadline) revert Expired(route.deadline, block.timestamp);
        uint256 n = route.legs.length;
        if (n == 0) revert EmptyRoute();
        _lock();
        IERC20(route.tokenIn).safeTransferFrom(msg.sender, address(this), route.amountIn);

        // per-token credits of this route: at most one new token per leg plus the input
        address[] memory tokens = new address[](n + 1);
        uint256[] memory credits = new uint256[](n + 1);
        tokens[0] = route.tokenIn;
        credits[0] = route.amountIn;
        uint256 used = _runLegs(route.legs, tokens, credits, 1);

        uint256 slotOutToken = _slot(tokens, used, route.tokenOut);
        amountOut = slotOutToken < used ? credits[slotOutToken] : 0;
        if (amountOut < route.minAmountOut) revert RouteSlippage(amountOut, route.minAmountOut);
        if (slotOutToken < used) credits[slotOutToken] = 0;
        amountIn = route.amountIn - credits[0];
        if (amountOut > 0) IERC20(route.tokenOut).safeTransfer(route.recipient, amountOut);
        for (uint256 k = 0; k < used; ++k) {
            // unspent input and any intermediate remainder go back to the caller
            if (credits[k] > 0) IERC20(tokens[k]).safeTransfer(msg.sender, credits[k]);
        }
        emit RouteExecuted(msg.sender, route.recipient, route.tokenIn, route.tokenOut, amountIn, amountOut);
        _unlock();
    }
}
