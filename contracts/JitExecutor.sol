// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @dev The slice of UniswapV3Pool (v3-core 1.0.1) a just-in-time LP calls.
interface IJitPool {
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
    function positions(bytes32 key)
        external
        view
        returns (
            uint128 liquidity,
            uint256 feeGrowthInside0LastX128,
            uint256 feeGrowthInside1LastX128,
            uint128 tokensOwed0,
            uint128 tokensOwed1
        );
}

/// @title JitExecutor
/// @notice Just-in-time liquidity: the owner mints a position directly on a Uniswap v3 pool right before a
///         pending swap and burns and collects it right after, in the same block. The contract holds the
///         inventory: the mint is paid from its own balance, the burn and collect pay back to it.
/// @dev Pools are derived with CREATE2 from (token0, token1, fee), never taken from the caller, and the mint
///      callback pays only the pool this contract is minting on at that moment (kept in transient storage), so
///      no pool, fake or genuine, can pull funds outside our own mint. Only the owner can mint, burn, or
///      withdraw; the position is keyed by this contract's address, so nobody else can touch it.
contract JitExecutor {
    using SafeERC20 for IERC20;

    /// @notice Identifies a pool and a range on it: tokens sorted (token0 < token1), fee in pips.
    struct Range {
        address token0;
        address token1;
        uint24 fee;
        int24 tickLower;
        int24 tickUpper;
    }

    address public immutable owner;
    address public immutable v3Factory;
    bytes32 public immutable v3PoolInitCodeHash;

    /// @dev The pool the mint in progress may be paid to (zero outside `mint`).
    address transient expectedPool;

    event Minted(address indexed pool, int24 tickLower, int24 tickUpper, uint128 liquidity, uint256 amount0, uint256 amount1);
    event Burned(
        address indexed pool,
        int24 tickLower,
        int24 tickUpper,
        uint128 liquidity,
        uint256 principal0,
        uint256 principal1,
        uint256 collected0,
        uint256 collected1
    );

    error NotOwner(address caller);
    error NotPool(address caller, address expected);
    error UnsortedTokens(address token0, address token1);
    error MintCost(uint256 amount0, uint256 amount1, uint256 amount0Max, uint256 amount1Max);

    /// @param owner_ The only account that can mint, burn and withdraw.
    /// @param v3Factory_ Uniswap v3 factory (mainnet 0x1F98431c8aD98523631AE4a59f267346ea31F984).
    /// @param v3PoolInitCodeHash_ keccak256 of the v3 pool creation code (mainnet 0xe34f...8b54).
    constructor(address owner_, address v3Factory_, bytes32 v3PoolInitCodeHash_) {
        owner = owner_;
        v3Factory = v3Factory_;
        v3PoolInitCodeHash = v3PoolInitCodeHash_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Mint `liquidity` on `range`, paying the pool from this contract's balance; reverts if that
    ///         costs more than (amount0Max, amount1Max) (the price moved since the plan).
    function mint(Range calldata range, uint128 liquidity, uint256 amount0Max, uint256 amount1Max)
        external
        onlyOwner
        returns (uint256 amount0, uint256 amount1)
    {
        address pool = poolOf(range.token0, range.token1, range.fee);
        expectedPool = pool;
        (amount0, amount1) =
            IJitPool(pool).mint(address(this), range.tickLower, range.tickUpper, liquidity, abi.encode(range.token0, range.token1));
        expectedPool = address(0);
        if (amount0 > amount0Max || amount1 > amount1Max) revert MintCost(amount0, amount1, amount0Max, amount1Max);
        emit Minted(pool, range.tickLower, range.tickUpper, liquidity, amount0, amount1);
    }

    /// @dev Pays what the pool asks for the mint in progress, only to that pool.
    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata data) external {
        address pool = expectedPool;
        if (pool == address(0) || msg.sender != pool) revert NotPool(msg.sender, pool);
        (address token0, address token1) = abi.decode(data, (address, address));
        if (amount0Owed > 0) IERC20(token0).safeTransfer(pool, amount0Owed);
        if (amount1Owed > 0) IERC20(token1).safeTransfer(pool, amount1Owed);
    }

    /// @notice Burn all the liquidity this contract has on `range` and collect everything owed to it (principal
    ///         and fees) back to itself. Never reverts for an empty position, so the bundle's last transaction
    ///         runs whether or not the mint or the swap before it did.
    function burnAll(Range calldata range)
        external
        onlyOwner
        returns (uint256 principal0, uint256 principal1, uint256 collected0, uint256 collected1)
    {
        address pool = poolOf(range.token0, range.token1, range.fee);
        bytes32 key = keccak256(abi.encodePacked(address(this), range.tickLower, range.tickUpper));
        (uint128 liquidity,,,,) = IJitPool(pool).positions(key);
        if (liquidity > 0) {
            (principal0, principal1) = IJitPool(pool).burn(range.tickLower, range.tickUpper, liquidity);
        }
        (, , , uint128 owed0, uint128 owed1) = IJitPool(pool).positions(key);
        if (owed0 > 0 || owed1 > 0) {
            (uint128 c0, uint128 c1) =
                IJitPool(pool).collect(address(this), range.tickLower, range.tickUpper, owed0, owed1);
            (collected0, collected1) = (c0, c1);
        }
        emit Burned(pool, range.tickLower, range.tickUpper, liquidity, principal0, principal1, collected0, collected1);
    }

    /// @notice Send `amount` of `token` (address(0): ETH) to `to`.
    function withdraw(address token, address to, uint256 amount) external onlyOwner {
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            require(ok, "ETH transfer failed");
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @notice The v3 pool of (token0, token1, fee), by CREATE2 (tokens must be sorted).
    function poolOf(address token0, address token1, uint24 fee) public view returns (address) {
        if (token0 >= token1) revert UnsortedTokens(token0, token1);
        bytes32 salt = keccak256(abi.encode(token0, token1, fee));
        return address(uint160(uint256(keccak256(abi.encodePacked(hex"ff", v3Factory, salt, v3PoolInitCodeHash)))));
    }

    receive() external payable {}
}
