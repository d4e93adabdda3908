// Balancer's own TypeScript maths (@balancer-labs/balancer-maths, the V3 port of the pools' Solidity) as an
// oracle for our Balancer V2 math. Reads a JSON array of requests on stdin, writes a JSON array of results.
//
// Requests (all integers as decimal strings):
//   {"fn": "weightedOutGivenIn", "args": [balanceIn, weightIn, balanceOut, weightOut, amountIn]}
//   {"fn": "weightedInGivenOut", "args": [balanceIn, weightIn, balanceOut, weightOut, amountOut]}
//   {"fn": "stableInvariant", "amp": amp, "balances": [...]}            (rounded down)
//   {"fn": "stableSwap", "amp": amp, "balances": [...], "indexIn": i, "indexOut": j,
//    "kind": "givenIn" | "givenOut", "amount": amount}
// Every amount is upscaled to 18 decimals, amp is times 1000 (AMP_PRECISION). A result is {"value": "..."}
// or {"error": "..."} when the maths throws.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const maths = require("@balancer-labs/balancer-maths");

function run(request) {
  const big = (xs) => xs.map((x) => BigInt(x));
  switch (request.fn) {
    case "weightedOutGivenIn":
      return maths._computeOutGivenExactIn(...big(request.args));
    case "weightedInGivenOut":
      return maths._computeInGivenExactOut(...big(request.args));
    case "stableInvariant":
      return new maths.Stable({ amp: BigInt(request.amp) }).computeInvariant(
        big(request.balances),
        maths.Rounding.ROUND_DOWN,
      );
    case "stableSwap":
      return new maths.Stable({ amp: BigInt(request.amp) }).onSwap({
        swapKind: request.kind === "givenIn" ? maths.SwapKind.GivenIn : maths.SwapKind.GivenOut,
        balancesLiveScaled18: big(request.balances),
        indexIn: request.indexIn,
        indexOut: request.indexOut,
        amountGivenScaled18: BigInt(request.amount),
      });
    default:
      throw new Error(`unknown fn ${request.fn}`);
  }
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((request) => {
  try {
    return { value: run(request).toString() };
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
});
process.stdout.write(JSON.stringify(results));
