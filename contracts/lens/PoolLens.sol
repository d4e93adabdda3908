// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The getters of UniswapV3Pool (v3-core 1.0.1) the lens reads; their raw return data is passed through.
interface IUniswapV3PoolGetters {
    function slot0() external view returns (uint160, int24, uint16, uint16, uint16, uint8, bool);
    function liquidity() external view returns (uint128);
    function feeGrowthGlobal0X128() external view returns (uint256);
    function feeGrowthGlobal1X128() external view returns (uint256);
    function protocolFees() external view returns (uint128, uint128);
    function fee() external view returns (uint24);
    function tickSpacing() external view returns (int24);
    function maxLiquidityPerTick() external view returns (uint128);
    function token0() external view returns (address);
    function token1() external view returns (address);
    function tickBitmap(int16) external view returns (uint256);
    function ticks(int24)
        external
        view
        returns (uint128, int128, uint256, uint256, int56, uint160, uint32, bool);
    function observations(uint256) external view returns (uint32, int56, uint160, bool);
}

interface IBalanceOf {
    function balanceOf(address) external view returns (uint256);
}

/// @title PoolLens
/// @notice Reads a Uniswap v3 pool's whole state (the getters, every observation, every non-empty bitmap word and
///         every initialised tick, the token balances) in one eth_call, so a client needs a few calls per pool
///         instead of one per word and per tick. Never deployed: it runs as state-override code at a scratch
///         address (`amm.chain.lens`).
/// @dev The output is one `bytes` of 32-byte words, the pool's raw return data copied verbatim (so the client
///      decodes it exactly as it decodes the getters' own replies):
///        header  done, nextWord, nextObservation, tickSpacing, cardinality, words, observations, head
///        head    (if `head`) slot0 (7 words), liquidity, feeGrowthGlobal0X128, feeGrowthGlobal1X128,
///                protocolFees (2), fee, tickSpacing, maxLiquidityPerTick, token0, token1, balance0, balance1
///        observations[obsFrom..] (4 words each)
///        per non-empty bitmap word in [wordFrom, wordTo]: word, bits, then ticks(t) (8 words) per set bit, low
///        bit first.
///      It stops early (done = 0) when the output passes `maxBytes` or gas runs below `gasReserve`, before an
///      observation or a bitmap word, so memory (whose cost is quadratic) and gas stay bounded; the client
///      resumes from nextObservation and nextWord. Any getter that fails or answers with an unexpected size
///      reverts the whole call (the client then falls back to plain calls, which say what is wrong).
contract PoolLens {
    int256 internal constant MIN_TICK = -887272;
    int256 internal constant MAX_TICK = 887272;
    uint256 internal constant HEADER = 8 * 32;
    uint256 internal constant SLACK = 256 * 256 + 64 + 128; // one full bitmap word's ticks, or one observation

    error NotAPool(address pool);

    /// @dev Where the output stands: its start, write pointer and limit, and the loops' resume points.
    struct Cursor {
        uint256 start;
        uint256 ptr;
        uint256 limit;
        uint256 gasReserve;
        bool done;
        int256 spacing;
        uint256 cardinality;
        uint256 nextObs;
        uint256 nObs;
        int256 nextWord;
        uint256 nWords;
    }

    function read(
        address pool,
        int256 wordFrom,
        int256 wordTo,
        uint256 obsFrom,
        bool head,
        uint256 maxBytes,
        uint256 gasReserve
    ) external view returns (bytes memory out) {
        if (pool.code.length == 0) revert NotAPool(pool);
        out = new bytes(HEADER + 20 * 32 + maxBytes + SLACK);
        Cursor memory c = _cursor(out, maxBytes, gasReserve);
        // tickSpacing and slot0 into the header area first (overwritten below), for the spacing and cardinality
        _get(pool, IUniswapV3PoolGetters.tickSpacing.selector, 0, 32, c.start);
        c.spacing = int256(_load(c.start));
        _get(pool, IUniswapV3PoolGetters.slot0.selector, 0, 224, c.start);
        c.cardinality = _load(c.start + 96);
        c.ptr = head ? _head(pool, c.start + HEADER) : c.start + HEADER;
        _observations(pool, obsFrom, c);
        _words(pool, wordFrom, wordTo, c);
        _header(c, head);
        uint256 length = c.ptr - c.start;
        uint256 end = c.ptr;
        assembly {
            mstore(out, length)
            mstore(0x40, add(end, 32)) // give back the unused tail of the buffer
        }
    }

    function _cursor(bytes memory out, uint256 maxBytes, uint256 gasReserve) private pure returns (Cursor memory c) {
        uint256 start;
        assembly {
            start := add(out, 32)
        }
        c.start = start;
        c.limit = start + HEADER + maxBytes;
        c.gasReserve = gasReserve;
        c.done = true;
    }

    function _header(Cursor memory c, bool head) private pure {
        uint256 start = c.start;
        _store(start, c.done ? 1 : 0);
        _store(start + 32, uint256(c.nextWord));
        _store(start + 64, c.nextObs);
        _store(start + 96, uint256(c.spacing));
        _store(start + 128, c.cardinality);
        _store(start + 160, c.nWords);
        _store(start + 192, c.nObs);
        _store(start + 224, head ? 1 : 0);
    }

    function _full(Cursor memory c) private view returns (bool) {
        if (c.ptr > c.limit || gasleft() < c.gasReserve) c.done = false;
        return !c.done;
    }

    function _observations(address pool, uint256 next, Cursor memory c) private view {
        for (; next < c.cardinality; ++next) {
            if (_full(c)) break;
            c.ptr = _get(pool, IUniswapV3PoolGetters.observations.selector, next, 128, c.ptr);
            ++c.nObs;
        }
        c.nextObs = next;
    }

    function _words(address pool, int256 wordFrom, int256 wordTo, Cursor memory c) private view {
        int256 spacing = c.spacing;
        int256 lowest = _floorDiv(MIN_TICK, spacing) >> 8;
        int256 highest = _floorDiv(MAX_TICK, spacing) >> 8;
        int256 word = wordFrom > lowest ? wordFrom : lowest;
        int256 last = wordTo < highest ? wordTo : highest;
        for (; c.done && word <= last; ++word) {
            if (_full(c)) break;
            uint256 ptr = c.ptr;
            _get(pool, IUniswapV3PoolGetters.tickBitmap.selector, uint256(word), 32, ptr + 32);
            uint256 bits = _load(ptr + 32);
            if (bits == 0) continue;
            _store(ptr, uint256(word));
            ptr += 64;
            ++c.nWords;
            for (uint256 bit = 0; bits != 0; ++bit) {
                if (bits & 1 != 0) {
                    int256 tick = ((word << 8) + int256(bit)) * spacing;
                    ptr = _get(pool, IUniswapV3PoolGetters.ticks.selector, uint256(tick), 256, ptr);
                }
                bits >>= 1;
            }
            c.ptr = ptr;
        }
        c.nextWord = word;
    }

    function _head(address pool, uint256 ptr) private view returns (uint256) {
        ptr = _get(pool, IUniswapV3PoolGetters.slot0.selector, 0, 224, ptr);
        ptr = _get(pool, IUniswapV3PoolGetters.liquidity.selector, 0, 32, ptr);
        ptr = _get(pool, IUniswapV3PoolGetters.feeGrowthGlobal0X128.selector, 0, 32, ptr);
        ptr = _get(pool, IUniswapV3PoolGetters.feeGrowthGlobal1X128.selector, 0, 32, ptr);
        ptr = _get(pool, IUniswapV3PoolGetters.protocolFees.selector, 0, 64, ptr);
        ptr = _get(pool, IUniswapV3PoolGetters.fee.selector, 0, 32, ptr);
        ptr = _get(pool, IUniswapV3PoolGetters.tickSpacing.selector, 0, 32, ptr);
        ptr = _get(pool, IUniswapV3PoolGetters.maxLiquidityPerTick.selector, 0, 32, ptr);
        ptr = _get(pool, IUniswapV3PoolGetters.token0.selector, 0, 32, ptr);
        address token0 = address(uint160(_load(ptr - 32)));
        ptr = _get(pool, IUniswapV3PoolGetters.token1.selector, 0, 32, ptr);
        address token1 = address(uint160(_load(ptr - 32)));
        ptr = _get(token0, IBalanceOf.balanceOf.selector, uint256(uint160(pool)), 32, ptr);
        return _get(token1, IBalanceOf.balanceOf.selector, uint256(uint160(pool)), 32, ptr);
    }

    /// @dev staticcall `target.selector(arg)` with calldata in scratch space (no allocation per call) and copy
    ///      exactly `size` bytes of its return data to `ptr`; reverts on failure or any other size.
    function _get(address target, bytes4 selector, uint256 arg, uint256 size, uint256 ptr)
        private
        view
        returns (uint256)
    {
        assembly {
            mstore(0x00, selector)
            mstore(0x04, arg)
            let ok := staticcall(gas(), target, 0x00, 0x24, 0x00, 0x00)
            if iszero(and(ok, eq(returndatasize(), size))) { revert(0x00, 0x00) }
            returndatacopy(ptr, 0x00, size)
        }
        return ptr + size;
    }

    function _load(uint256 ptr) private pure returns (uint256 value) {
        assembly {
            value := mload(ptr)
        }
    }

    function _store(uint256 ptr, uint256 value) private pure {
        assembly {
            mstore(ptr, value)
        }
    }

    /// @dev Floor division, as the client's `word_range` (Python `//`) computes the bitmap's word range.
    function _floorDiv(int256 a, int256 b) private pure returns (int256 q) {
        q = a / b;
        if (a % b != 0 && ((a < 0) != (b < 0))) q -= 1;
    }
}
