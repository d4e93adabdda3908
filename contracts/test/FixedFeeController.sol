// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderInfo, InputToken, OutputToken, ResolvedOrder} from "../UniswapXFiller.sol";

/// @title FixedFeeController
/// @notice A UniswapX protocol fee controller for tests (IProtocolFeeController): it takes `bps` of the first
///         output token of every order, paid to `recipient`, as the mainnet interface-fee controller takes a
///         share of an output. Reactors cap fees at 5 bps of the token's value.
contract FixedFeeController {
    uint256 public immutable bps;
    address public immutable recipient;

    constructor(uint256 bps_, address recipient_) {
        bps = bps_;
        recipient = recipient_;
    }

    /// @notice The fee outputs the reactor appends to `order`'s outputs.
    function getFeeOutputs(ResolvedOrder memory order) external view returns (OutputToken[] memory result) {
        if (order.outputs.length == 0) return result;
        address token = order.outputs[0].token;
        uint256 value;
        for (uint256 i = 0; i < order.outputs.length; i++) {
            if (order.outputs[i].token == token) value += order.outputs[i].amount;
        }
        result = new OutputToken[](1);
        result[0] = OutputToken(token, value * bps / 10_000, recipient);
    }
}
