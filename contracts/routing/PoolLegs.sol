// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @dev The slice of UniswapV3Pool (v3-core 1.0.1) a swapper calls.
interface IUniswapV3PoolSwap {
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1);
}

/// @dev The slice of UniswapV2Pair (v2-core 1.0.1) a swapper calls.
interface IUniswapV2PairSwap {
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

/// @title PoolLegs
/// @notice The leg engine shared by our settlement contracts: runs swap legs directly on Uniswap v3 pools and v2
///         pairs against per-token credits held in memory, checking every leg against its limit.
/// @dev Pools are never taken from the caller: each leg names its tokens (and fee tier for v3) and the pool is
///      derived with CREATE2 from the factory and its init-code hash, exactly as the periphery contracts do. The v3
///      swap callback therefore pays only a genuine pool of the configured factory, and only the pool this
///      contract is swapping with at that moment (held in transient storage, EIP-1153). A leg can spend only what
///      its route has been credited with (the input an inheritor credits, plus what earlier legs received), never
///      other funds the contract holds. Tokens that take a fee on transfer or rebase are not supported (their
///      credits would not match balances).
abstract contract PoolLegs {
    using SafeERC20 for IERC20;

    /// @notice Which AMM a leg trades on.
    enum Kind {
        V3,
        V2
    }

    /// @notice One swap of a route.
    /// @param kind V3 pool or V2 pair.
    /// @param tokenIn Token the leg pays in; the route must have been credited with it (input or an earlier leg).
    /// @param tokenOut Token the leg receives.
    /// @param fee V3 fee tier in hundredths of a bip (identifies the pool with the two tokens); ignored for V2.
    /// @param amount > 0: exact input of that amount; < 0: exact output of -amount; 0: exact input of everything the
    ///        route holds of tokenIn at that point (so a leg can absorb what earlier legs actually delivered).
    /// @param limit Exact input: the least output accepted; exact output: the most input accepted.
    struct Leg {
        Kind kind;
        address tokenIn;
        address tokenOut;
        uint24 fee;
        int256 amount;
        uint256 limit;
    }

    uint160 internal constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;
    /// @dev Transient storage slots: the pool expected to call back, and the reentrancy lock.
    bytes32 internal constant EXPECTED_POOL_SLOT = keccak256("PoolLegs.expectedPool");
    bytes32 internal constant LOCK_SLOT = keccak256("PoolLegs.lock");

    /// @notice The Uniswap v3 factory whose pools legs trade on.
    address public immutable v3Factory;
    /// @notice keccak256 of the v3 pool creation code (the CREATE2 init-code hash of v3Factory's pools).
    bytes32 public immutable v3PoolInitCodeHash;
    /// @notice The Uniswap v2 factory whose pairs legs trade on.
    address public immutable v2Factory;
    /// @notice keccak256 of the v2 pair creation code (the CREATE2 init-code hash of v2Factory's pairs).
    bytes32 public immutable v2PairInitCodeHash;

    /// @notice A leg was executed on `pool`, which received `amountIn` and paid `amountOut`.
    event LegExecuted(uint256 indexed index, address indexed pool, uint256 amountIn, uint256 amountOut);

    /// @notice A state-changing entry point was re-entered.
    error Reentrancy();
    /// @notice uniswapV3SwapCallback was called by `caller`, which is not the pool being swapped with.
    error UnexpectedCallback(address caller);
    /// @notice Leg `index` needs `needed` of `token` but the route holds only `available`.
    error InsufficientCredit(uint256 index, address token, uint256 needed, uint256 available);
    /// @notice Leg `index` got `amount` against its `limit` (index type(uint256).max: the v3 callback's maximum input).
    error LegSlippage(uint256 index, uint256 amount, uint256 limit);
    /// @notice Leg `index` filled `filled` of the `requested` amount (the pool hit its price limit).
    error PartialFill(uint256 index, uint256 filled, uint256 requested);
    /// @notice Leg `index` pays and receives the same token.
    error IdenticalTokens(uint256 index);

    /// @param v3Factory_ Uniswap v3 factory (mainnet 0x1F98431c8aD98523631AE4a59f267346ea31F984).
    /// @param v3PoolInitCodeHash_ keccak256 of the v3 pool creation code (mainnet 0xe34f...8b54).
    /// @param v2Factory_ Uniswap v2 factory (mainnet 0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f).
    /// @param v2PairInitCodeHash_ keccak256 of the v2 pair creation code (mainnet 0x96e8...845f).
    constructor(address v3Factory_, bytes32 v3PoolInitCodeHash_, address v2Factory_, bytes32 v2PairInitCodeHash_) {
        v3Factory = v3Factory_;
        v3PoolInitCodeHash = v3PoolInitCodeHash_;
        v2Factory = v2Factory_;
        v2PairInitCodeHash = v2PairInitCodeHash_;
    }

    /// @notice Uniswap v3 swap callback: pays the pool what it is owed, from the route's funds.
    /// @dev Accepts a call only from the pool this contract is swapping with right now, and only if that address
    ///      is the CREATE2 address of (tokenIn, tokenOut, fee) under the configured factory.
    /// @param amount0Delta What the pool is owed (> 0) or paid (< 0) of token0.
    /// @param amount1Delta What the pool is owed (> 0) or paid (< 0) of token1.
    /// @param data abi.encode(tokenIn, tokenOut, fee, maximum input), as `_swapV3` passes it.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external {
        (address tokenIn, address tokenOut, uint24 fee, uint256 maxIn) = abi.decode(data, (address, address, uint24, uint256));
        address expected;
        bytes32 slot = EXPECTED_POOL_SLOT;
        assembly {
            expected := tload(slot)
        }
        if (msg.sender != expected || msg.sender != _v3Pool(tokenIn, tokenOut, fee)) revert UnexpectedCallback(msg.sender);
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta);
        if (owed > maxIn) revert LegSlippage(type(uint256).max, owed, maxIn);
        _expectCallback(address(0)); // one payment per swap
        IERC20(tokenIn).safeTransfer(msg.sender, owed);
    }

    /// @notice The v3 pool of two tokens and a fee tier under the configured factory (PoolAddress.computeAddress).
    function v3Pool(address tokenA, address tokenB, uint24 fee) external view returns (address) {
        return _v3Pool(tokenA, tokenB, fee);
    }

    /// @notice The v2 pair of two tokens under the configured factory (UniswapV2Library.pairFor).
    function v2Pair(address tokenA, address tokenB) external view returns (address) {
        return _v2Pair(tokenA, tokenB);
    }

    // ------------------------------------------------------------------------------------------------ legs
    /// @notice Run `legs` in order against the route's per-token credits, updating them in place.
    /// @dev `tokens[0..used)` and `credits[0..used)` are the tokens the route holds and how much of each; both
    ///      arrays must have room for `used + legs.length` entries (a leg adds at most one new token). A leg spends
    ///      from its input token's credit and adds its output to its output token's credit.
    /// @param legs The swaps, in execution order; leg indices in events and errors are positions in this array.
    /// @param tokens Tokens credited so far (in the first `used` entries).
    /// @param credits Credit per token, aligned with `tokens`.
    /// @param used How many entries of `tokens`/`credits` are in use.
    /// @return How many entries are in use after the legs.
    function _runLegs(Leg[] calldata legs, address[] memory tokens, uint256[] memory credits, uint256 used)
        internal
        returns (uint256)
    {
        uint256 n = legs.length;
        for (uint256 i = 0; i < n; ++i) {
            Leg calldata leg = legs[i];
            if (leg.tokenIn == leg.tokenOut) revert IdenticalTokens(i);
            uint256 slotIn = _slot(tokens, used, leg.tokenIn);
            uint256 available = slotIn < used ? credits[slotIn] : 0;
            (uint256 legIn, uint256 legOut) = _leg(i, leg, available);
            if (legIn > available) revert InsufficientCredit(i, leg.tokenIn, legIn, available);
            credits[slotIn] = available - legIn;
            uint256 slotOut = _slot(tokens, used, leg.tokenOut);
            if (slotOut == used) {
                tokens[used] = leg.tokenOut;
                used += 1;
            }
            credits[slotOut] += legOut;
        }
        return used;
    }

    /// @dev Execute leg `i` on its pool with at most `available` of its input; returns what it paid and received.
    function _leg(uint256 i, Leg calldata leg, uint256 available) internal returns (uint256 amountIn, uint256 amountOut) {
        bool exactOutput = leg.amount < 0;
        uint256 amount = leg.amount == 0 ? available : exactOutput ? uint256(-leg.amount) : uint256(leg.amount);
        address pool;
        if (leg.kind == Kind.V3) {
            pool = _v3Pool(leg.tokenIn, leg.tokenOut, leg.fee);
            (amountIn, amountOut) = _swapV3(leg, pool, amount, exactOutput);
        } else {
            pool = _v2Pair(leg.tokenIn, leg.tokenOut);
            if (exactOutput && amount > 0) {
                amountOut = amount;
                amountIn = _v2AmountIn(pool, leg.tokenIn < leg.tokenOut, amountOut);
            } else {
                amountIn = amount;
                amountOut = _v2AmountOut(pool, leg.tokenIn < leg.tokenOut, amountIn);
            }
            if (amountIn > available) revert InsufficientCredit(i, leg.tokenIn, amountIn, available);
            IERC20(leg.tokenIn).safeTransfer(pool, amountIn);
            (uint256 out0, uint256 out1) = leg.tokenIn < leg.tokenOut ? (uint256(0), amountOut) : (amountOut, uint256(0));
            IUniswapV2PairSwap(pool).swap(out0, out1, address(this), "");
        }
        if (exactOutput) {
            if (amountOut != amount) revert PartialFill(i, amountOut, amount);
            if (amountIn > leg.limit) revert LegSlippage(i, amountIn, leg.limit);
        } else {
            if (amountIn != amount) revert PartialFill(i, amountIn, amount);
            if (amountOut < leg.limit) revert LegSlippage(i, amountOut, leg.limit);
        }
        emit LegExecuted(i, pool, amountIn, amountOut);
    }

    /// @dev Swap on v3 `pool`, expecting its callback (and only its) for the duration of the swap.
    function _swapV3(Leg calldata leg, address pool, uint256 amount, bool exactOutput)
        internal
        returns (uint256 amountIn, uint256 amountOut)
    {
        bool zeroForOne = leg.tokenIn < leg.tokenOut;
        bytes memory data = abi.encode(leg.tokenIn, leg.tokenOut, leg.fee, exactOutput ? leg.limit : amount);
        _expectCallback(pool);
        (int256 amount0, int256 amount1) = IUniswapV3PoolSwap(pool).swap(
            address(this),
            zeroForOne,
            exactOutput ? -int256(amount) : int256(amount),
            zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE,
            data
        );
        _expectCallback(address(0));
        (amountIn, amountOut) =
            zeroForOne ? (uint256(amount0), uint256(-amount1)) : (uint256(amount1), uint256(-amount0));
    }

    /// @dev Set the only address uniswapV3SwapCallback accepts (address(0): none).
    function _expectCallback(address pool) internal {
        bytes32 slot = EXPECTED_POOL_SLOT;
        assembly {
            tstore(slot, pool)
        }
    }

    /// @dev UniswapV2Library.getAmountOut on the pair's current reserves.
    function _v2AmountOut(address pair, bool zeroForOne, uint256 amountIn) internal view returns (uint256) {
        (uint256 reserveIn, uint256 reserveOut) = _reserves(pair, zeroForOne);
        uint256 amountInWithFee = amountIn * 997;
        return (amountInWithFee * reserveOut) / (reserveIn * 1000 + amountInWithFee);
    }

    /// @dev UniswapV2Library.getAmountIn on the pair's current reserves.
    function _v2AmountIn(address pair, bool zeroForOne, uint256 amountOut) internal view returns (uint256) {
        (uint256 reserveIn, uint256 reserveOut) = _reserves(pair, zeroForOne);
        return (reserveIn * amountOut * 1000) / ((reserveOut - amountOut) * 997) + 1;
    }

    /// @dev The pair's reserves, ordered (in, out) for the swap direction.
    function _reserves(address pair, bool zeroForOne) internal view returns (uint256 reserveIn, uint256 reserveOut) {
        (uint112 reserve0, uint112 reserve1,) = IUniswapV2PairSwap(pair).getReserves();
        (reserveIn, reserveOut) = zeroForOne ? (uint256(reserve0), uint256(reserve1)) : (uint256(reserve1), uint256(reserve0));
    }

    // ------------------------------------------------------------------------------------------- addresses
    /// @dev PoolAddress.computeAddress under the configured v3 factory.
    function _v3Pool(address tokenA, address tokenB, uint24 fee) internal view returns (address) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        bytes32 salt = keccak256(abi.encode(token0, token1, fee));
        return address(uint160(uint256(keccak256(abi.encodePacked(hex"ff", v3Factory, salt, v3PoolInitCodeHash)))));
    }

    /// @dev UniswapV2Library.pairFor under the configured v2 factory.
    function _v2Pair(address tokenA, address tokenB) internal view returns (address) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        bytes32 salt = keccak256(abi.encodePacked(token0, token1));
        return address(uint160(uint256(keccak256(abi.encodePacked(hex"ff", v2Factory, salt, v2PairInitCodeHash)))));
    }

    // ----------------------------------------------------------------------------------------------- misc
    /// @dev The index of `token` in `tokens[0..used)`, or `used` if it is not there.
    function _slot(address[] memory tokens, uint256 used, address token) internal pure returns (uint256) {
        for (uint256 k = 0; k < used; ++k) {
            if (tokens[k] == token) return k;
        }
        return used;
    }

    /// @dev Take the reentrancy lock (transient); reverts with Reentrancy if it is held.
    function _lock() internal {
        bytes32 slot = LOCK_SLOT;
        uint256 locked;
        assembly {
            locked := tload(slot)
        }
        if (locked != 0) revert Reentrancy();
        assembly {
            tstore(slot, 1)
        }
    }

    /// @dev Release the reentrancy lock.
    function _unlock() internal {
        bytes32 slot = LOCK_SLOT;
        assembly {
            tstore(slot, 0)
        }
    }
}
