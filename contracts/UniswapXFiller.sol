// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {PoolLegs} from "./routing/PoolLegs.sol";

// The slices of UniswapX (src/base/ReactorStructs.sol, IReactor, IReactorCallback) this filler uses, declared
// from their published ABI: the field order and types are what the reactors encode.

/// @notice An order as the swapper signed it: the reactor-specific encoding and the signature.
struct SignedOrder {
    bytes order;
    bytes sig;
}

/// @notice The part every UniswapX order type shares.
struct OrderInfo {
    address reactor;
    address swapper;
    uint256 nonce;
    uint256 deadline;
    address additionalValidationContract;
    bytes additionalValidationData;
}

/// @notice What the swapper pays (pulled through Permit2 to the filler before the callback).
struct InputToken {
    address token;
    uint256 amount;
    uint256 maxAmount;
}

/// @notice What a recipient must receive; token address(0) is native ETH.
struct OutputToken {
    address token;
    uint256 amount;
    address recipient;
}

/// @notice An order resolved at the current block: exact input and outputs (protocol fee outputs included).
struct ResolvedOrder {
    OrderInfo info;
    InputToken input;
    OutputToken[] outputs;
    bytes sig;
    bytes32 hash;
}

/// @notice The UniswapX reactor entry points with a fill callback (BaseReactor).
interface IUniswapXReactor {
    /// @notice Resolve `order`, pull its input to msg.sender, call back msg.sender, then pull the outputs from it.
    function executeWithCallback(SignedOrder calldata order, bytes calldata callbackData) external payable;
    /// @notice The same for several orders, with one callback for all of them.
    function executeBatchWithCallback(SignedOrder[] calldata orders, bytes calldata callbackData) external payable;
}

/// @notice What a reactor calls on the filler between pulling the inputs and pulling the outputs.
interface IUniswapXReactorCallback {
    /// @notice Called by the reactor with the resolved orders and the filler's callbackData, inputs already paid.
    function reactorCallback(ResolvedOrder[] calldata resolvedOrders, bytes calldata callbackData) external;
}

/// @title UniswapXFiller
/// @notice Fills UniswapX orders through a reactor's callback, from its own inventory, by routing the orders' inputs
///         through Uniswap v3 pools and v2 pairs, or both; whatever the fill earns beyond the outputs stays here.
/// @dev Flow of `execute`/`executeBatch` (owner only): snapshot the balances the caller limits, call the reactor,
///      which pulls each order's input to this contract and calls `reactorCallback`; the callback runs the legs
///      (PoolLegs) on the received inputs only, then makes sure every output can be paid and approves the reactor
///      for exactly what it will pull (native outputs are sent to the reactor, which refunds any excess). After the
///      reactor returns, every allowance given to it must be back to 0 (else `AllowanceLeft`), and each limited
///      token's balance change must meet its limit (else `InventoryLimit`). `reactorCallback` is accepted once,
///      only from the reactor this contract is calling at that moment (held in transient storage, EIP-1153).
///
///      fillData = abi.encode(Leg[] legs, TokenLimit[] limits).
contract UniswapXFiller is PoolLegs, Ownable2Step, IUniswapXReactorCallback {
    using SafeERC20 for IERC20;

    /// @notice A bound on how a token's balance of this contract may change over one fill.
    /// @param token The token; address(0) is native ETH.
    /// @param minChange The least change accepted (balance after minus balance before): 0 = inventory untouched
    ///        (or grown), -X = at most X spent.
    struct TokenLimit {
        address token;
        int256 minChange;
    }

    /// @dev Transient storage: the reactor allowed to call back, and the tokens approved to it during the callback
    ///      (count at APPROVALS_SLOT, the i-th token at APPROVALS_SLOT + 1 + i).
    bytes32 internal constant REACTOR_SLOT = keccak256("UniswapXFiller.reactor");
    bytes32 internal constant APPROVALS_SLOT = keccak256("UniswapXFiller.approvals");
    /// @dev ABI sizes of a Leg and a TokenLimit (static structs: 6 and 2 words).
    uint256 internal constant LEG_SIZE = 192;
    uint256 internal constant LIMIT_SIZE = 64;

    /// @notice `orders` orders were filled through `reactor`.
    event Filled(address indexed reactor, uint256 orders);
    /// @notice The owner hedged: `amountIn` of this contract's `tokenIn` became `amountOut` of `tokenOut`.
    event Hedged(address indexed tokenIn, uint256 amountIn, address indexed tokenOut, uint256 amountOut);

    /// @notice reactorCallback was called by `caller`, which is not the reactor this contract is calling now.
    error UnexpectedReactor(address caller);
    /// @notice The outputs owe `needed` of `token` (address(0): ETH) but this contract holds only `available`.
    error Shortfall(address token, uint256 needed, uint256 available);
    /// @notice The fill changed this contract's balance of `token` by `change`, below the caller's `minChange`.
    error InventoryLimit(address token, int256 change, int256 minChange);
    /// @notice After the fill the reactor may still pull `allowance` of `token` (it did not take what it owed).
    error AllowanceLeft(address token, uint256 allowance);
    /// @notice fillData is not abi.encode(Leg[], TokenLimit[]).
    error MalformedFillData();
    /// @notice A hedge raised this contract's balance of its output token by `amountOut`, below `minAmountOut`.
    error HedgeSlippage(uint256 amountOut, uint256 minAmountOut);
    /// @notice A hedge's input and output token are the same.
    error HedgeSameToken(address token);
    /// @notice Ownership cannot be renounced: the inventory would be locked here for good.
    error RenounceDisabled();

    /// @param owner_ The only account that can fill, withdraw, and (two-step) hand ownership over.
    /// @param v3Factory_ Uniswap v3 factory (mainnet 0x1F98431c8aD98523631AE4a59f267346ea31F984).
    /// @param v3PoolInitCodeHash_ keccak256 of the v3 pool creation code (mainnet 0xe34f...8b54).
    /// @param v2Factory_ Uniswap v2 factory (mainnet 0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f).
    /// @param v2PairInitCodeHash_ keccak256 of the v2 pair creation code (mainnet 0x96e8...845f).
    constructor(
        address owner_,
        address v3Factory_,
        bytes32 v3PoolInitCodeHash_,
        address v2Factory_,
        bytes32 v2PairInitCodeHash_
    ) PoolLegs(v3Factory_, v3PoolInitCodeHash_, v2Factory_, v2PairInitCodeHash_) Ownable(owner_) {}

    /// @notice Fill one order through `reactor` (its executeWithCallback).
    /// @param reactor The UniswapX reactor the order targets.
    /// @param order The signed order.
    /// @param fillData abi.encode(Leg[] legs, TokenLimit[] limits): the legs run in the callback on the order's
    ///        input, the limits are checked on this contract's balances once the reactor has returned.
    function execute(address reactor, SignedOrder calldata order, bytes calldata fillData) external onlyOwner {
        (TokenLimit[] calldata limits, uint256[] memory before) = _beginFill(reactor, fillData);
        IUniswapXReactor(reactor).executeWithCallback(order, fillData);
        _endFill(reactor, limits, before);
        emit Filled(reactor, 1);
    }

    /// @notice Fill several orders of one reactor at once (its executeBatchWithCallback): the callback sees every
    ///         resolved order, so the legs start from the sum of their inputs and the outputs are paid together.
    /// @param reactor The UniswapX reactor the orders target.
    /// @param orders The signed orders.
    /// @param fillData abi.encode(Leg[] legs, TokenLimit[] limits), as for `execute`.
    function executeBatch(address reactor, SignedOrder[] calldata orders, bytes calldata fillData) external onlyOwner {
        (TokenLimit[] calldata limits, uint256[] memory before) = _beginFill(reactor, fillData);
        IUniswapXReactor(reactor).executeBatchWithCallback(orders, fillData);
        _endFill(reactor, limits, before);
        emit Filled(reactor, orders.length);
    }

    /// @notice The reactor's fill callback: route the received inputs, then make the outputs payable.
    /// @dev Only the reactor that `execute`/`executeBatch` is calling right now, and only once per call. Credits
    ///      start at the sum of the resolved inputs per token, so legs can spend the orders' inputs (and what earlier
    ///      legs received) but never inventory; inventory covers whatever outputs the legs do not.
    /// @param resolvedOrders The orders as the reactor resolved them.
    /// @param callbackData The fillData given to `execute`/`executeBatch`, passed through by the reactor.
    function reactorCallback(ResolvedOrder[] calldata resolvedOrders, bytes calldata callbackData) external override {
        address reactor = address(uint160(uint256(_tload(REACTOR_SLOT))));
        if (reactor == address(0) || msg.sender != reactor) revert UnexpectedReactor(msg.sender);
        _tstore(REACTOR_SLOT, 0); // one callback per fill

        (Leg[] calldata legs,) = _decodeFillData(callbackData);
        uint256 n = resolvedOrders.length;
        address[] memory tokens = new address[](n + legs.length);
        uint256[] memory credits = new uint256[](n + legs.length);
        uint256 used = 0;
        for (uint256 i = 0; i < n; ++i) {
            InputToken calldata input = resolvedOrders[i].input;
            uint256 slot = _slot(tokens, used, input.token);
            if (slot == used) {
                tokens[used] = input.token;
                used += 1;
            }
            credits[slot] += input.amount;
        }
        _runLegs(legs, tokens, credits, used);
        _provideOutputs(reactor, resolvedOrders);
    }

    /// @notice Swap `amountIn` of this contract's own `tokenIn` along `legs` (the inventory hedge), keeping the
    ///         output here; reverts unless the balance of `tokenOut` grows by at least `minAmountOut`.
    /// @dev The legs' credits start at `amountIn` of `tokenIn` (PoolLegs: they can spend it and what earlier legs
    ///      received, nothing else of the inventory); pools are paid by transfer, so no approval is ever given.
    ///      Whatever the legs leave of an intermediate token stays in the inventory.
    /// @param tokenIn The inventory token sold.
    /// @param amountIn How much of it the legs may spend (at most what this contract holds, else `Shortfall`).
    /// @param legs The swaps, from `encode_legs` (PoolLegs.Leg).
    /// @param tokenOut The token bought.
    /// @param minAmountOut The least increase of this contract's `tokenOut` balance (else `HedgeSlippage`).
    /// @return spent What the balance of `tokenIn` fell by.
    /// @return amountOut What the balance of `tokenOut` grew by.
    function hedge(address tokenIn, uint256 amountIn, Leg[] calldata legs, address tokenOut, uint256 minAmountOut)
        external
        onlyOwner
        returns (uint256 spent, uint256 amountOut)
    {
        if (tokenIn == tokenOut) revert HedgeSameToken(tokenIn);
        _lock();
        uint256 inBefore = _balance(tokenIn);
        if (inBefore < amountIn) revert Shortfall(tokenIn, amountIn, inBefore);
        uint256 outBefore = _balance(tokenOut);
        address[] memory tokens = new address[](legs.length + 1);
        uint256[] memory credits = new uint256[](legs.length + 1);
        tokens[0] = tokenIn;
        credits[0] = amountIn;
        _runLegs(legs, tokens, credits, 1);
        uint256 outAfter = _balance(tokenOut);
        amountOut = outAfter > outBefore ? outAfter - outBefore : 0;
        if (amountOut < minAmountOut) revert HedgeSlippage(amountOut, minAmountOut);
        uint256 inAfter = _balance(tokenIn);
        spent = inBefore > inAfter ? inBefore - inAfter : 0;
        emit Hedged(tokenIn, spent, tokenOut, amountOut);
        _unlock();
    }

    /// @notice Send `amount` of `token` held here to `to`.
    /// @param token The ERC-20 to send.
    /// @param to The recipient.
    /// @param amount How much, in the token's raw units.
    function withdraw(address token, address to, uint256 amount) external onlyOwner {
        IERC20(token).safeTransfer(to, amount);
    }

    /// @notice Send `amount` wei held here to `to`.
    /// @param to The recipient (a contract must accept ETH).
    /// @param amount How much, in wei.
    function withdrawNative(address payable to, uint256 amount) external onlyOwner {
        Address.sendValue(to, amount);
    }

    /// @notice Disabled (reverts with RenounceDisabled): without an owner nothing could be withdrawn.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @notice Accepts ETH: the reactor's refund of native outputs, or inventory.
    receive() external payable {}

    // ------------------------------------------------------------------------------------------------ fills
    /// @dev Lock, validate fillData, snapshot the limited balances and admit `reactor`'s callback.
    function _beginFill(address reactor, bytes calldata fillData)
        internal
        returns (TokenLimit[] calldata limits, uint256[] memory before)
    {
        _lock();
        (, limits) = _decodeFillData(fillData);
        before = new uint256[](limits.length);
        for (uint256 k = 0; k < limits.length; ++k) {
            before[k] = _balance(limits[k].token);
        }
        _tstore(REACTOR_SLOT, uint256(uint160(reactor)));
    }

    /// @dev Close the callback window, require every allowance given to `reactor` used up, check the limits.
    function _endFill(address reactor, TokenLimit[] calldata limits, uint256[] memory before) internal {
        _tstore(REACTOR_SLOT, 0);
        uint256 approved = _tload(APPROVALS_SLOT);
        for (uint256 k = 0; k < approved; ++k) {
            address token = address(uint160(_tload(bytes32(uint256(APPROVALS_SLOT) + 1 + k))));
            uint256 left = IERC20(token).allowance(address(this), reactor);
            if (left != 0) revert AllowanceLeft(token, left);
        }
        _tstore(APPROVALS_SLOT, 0);
        for (uint256 k = 0; k < limits.length; ++k) {
            uint256 balance = _balance(limits[k].token);
            int256 change = balance >= before[k]
                ? SafeCast.toInt256(balance - before[k])
                : -SafeCast.toInt256(before[k] - balance);
            if (change < limits[k].minChange) revert InventoryLimit(limits[k].token, change, limits[k].minChange);
        }
        _unlock();
    }

    /// @dev Sum what the orders owe per output token; approve the reactor for exactly that (ERC-20) or send it the
    ///      ETH, after checking this contract holds it.
    function _provideOutputs(address reactor, ResolvedOrder[] calldata resolvedOrders) internal {
        uint256 m = 0;
        for (uint256 i = 0; i < resolvedOrders.length; ++i) {
            m += resolvedOrders[i].outputs.length;
        }
        address[] memory tokens = new address[](m);
        uint256[] memory owed = new uint256[](m);
        uint256 used = 0;
        for (uint256 i = 0; i < resolvedOrders.length; ++i) {
            OutputToken[] calldata outputs = resolvedOrders[i].outputs;
            for (uint256 j = 0; j < outputs.length; ++j) {
                uint256 slot = _slot(tokens, used, outputs[j].token);
                if (slot == used) {
                    tokens[used] = outputs[j].token;
                    used += 1;
                }
                owed[slot] += outputs[j].amount;
            }
        }
        uint256 approved = 0;
        for (uint256 k = 0; k < used; ++k) {
            address token = tokens[k];
            uint256 available = _balance(token);
            if (available < owed[k]) revert Shortfall(token, owed[k], available);
            if (owed[k] == 0) continue;
            if (token == address(0)) {
                Address.sendValue(payable(reactor), owed[k]);
            } else {
                IERC20(token).forceApprove(reactor, owed[k]);
                _tstore(bytes32(uint256(APPROVALS_SLOT) + 1 + approved), uint256(uint160(token)));
                approved += 1;
            }
        }
        _tstore(APPROVALS_SLOT, approved);
    }

    // ------------------------------------------------------------------------------------------------ misc
    /// @dev This contract's balance of `token` (address(0): ETH).
    function _balance(address token) internal view returns (uint256) {
        return token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
    }

    /// @dev The two arrays of fillData = abi.encode(Leg[], TokenLimit[]) as calldata views, bounds-checked (no
    ///      copy to memory; element fields are validated by Solidity when read).
    function _decodeFillData(bytes calldata fillData)
        internal
        pure
        returns (Leg[] calldata legs, TokenLimit[] calldata limits)
    {
        (uint256 legsAt, uint256 legsLength) = _staticArray(fillData, 0, LEG_SIZE);
        (uint256 limitsAt, uint256 limitsLength) = _staticArray(fillData, 32, LIMIT_SIZE);
        assembly {
            legs.offset := legsAt
            legs.length := legsLength
            limits.offset := limitsAt
            limits.length := limitsLength
        }
    }

    /// @dev The calldata position of the first element, and the length, of the array of `size`-byte static elements
    ///      whose offset (relative to the start of `data`) is the word at `head`; reverts unless it lies in `data`.
    function _staticArray(bytes calldata data, uint256 head, uint256 size)
        internal
        pure
        returns (uint256 start, uint256 length)
    {
        uint256 total = data.length;
        if (total < head + 32) revert MalformedFillData();
        uint256 offset = uint256(bytes32(data[head:head + 32]));
        if (offset > total || total - offset < 32) revert MalformedFillData();
        length = uint256(bytes32(data[offset:offset + 32]));
        if (length > (total - offset - 32) / size) revert MalformedFillData();
        assembly {
            start := add(add(data.offset, offset), 32)
        }
    }

    /// @dev Read a transient storage slot.
    function _tload(bytes32 slot) internal view returns (uint256 value) {
        assembly {
            value := tload(slot)
        }
    }

    /// @dev Write a transient storage slot.
    function _tstore(bytes32 slot, uint256 value) internal {
        assembly {
            tstore(slot, value)
        }
    }
}
