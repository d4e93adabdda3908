// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title SignerWallet
/// @notice A minimal smart-contract account for tests: it holds tokens, approves spenders when its owner asks,
///         and accepts (EIP-1271) exactly the signatures its owner's key makes, as Safe-style wallets do.
contract SignerWallet is IERC1271 {
    address public immutable owner;

    error NotOwner(address caller);

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice Approve `spender` for `amount` of `token` (owner only).
    function approve(address token, address spender, uint256 amount) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        IERC20(token).approve(spender, amount);
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError failure,) = ECDSA.tryRecover(hash, signature);
        return failure == ECDSA.RecoverError.NoError && signer == owner ? IERC1271.isValidSignature.selector : bytes4(0);
    }
}
