// SDK oracle: everything the official UniswapX SDK (@uniswap/uniswapx-sdk, the project's pinned version, and the
// ethers v5 it depends on) computes for a batch of orders, so the Python tests can prove our order library agrees.
//
//   node tests/intents/uniswapx/sdk_oracle.mjs  < requests.json  > results.json
//
// stdin: a JSON array of requests; stdout: a JSON array of results, same order. On any error (bad field, the
// SDK throwing, ...) nothing is written to stdout, the message goes to stderr and the exit status is 1.
// The Python side is tests/intents/uniswapx/sdk_oracle.py (sdk_oracle(requests) -> results).
//
// ── Integers ────────────────────────────────────────────────────────────────────────────────────────────────
// Every integer in a request may be a decimal string ("123", "-5") or a JSON integer (a safe one); every integer
// in a result is a decimal string. The oracle converts each field to the JS type the SDK's constructor takes:
// [big] = ethers BigNumber, [num] = JS number (must be a safe integer), [bigint] = JS BigInt.
// Addresses and bytes are 0x-hex strings, passed to the SDK untouched (ethers checksums/validates them).
//
// ── Request ─────────────────────────────────────────────────────────────────────────────────────────────────
// {
//   "kind":        "dutch" | "v2_dutch" | "v3_dutch" | "priority",
//   "chainId":     int,
//   "permit2":     address,                 // the Permit2 the swapper signs for (EIP-712 verifyingContract)
//   "order":       {...},                   // the SDK's info shape for the kind, below (omit when "encoded")
//   "cosignerData": {...},                  // v2_dutch / v3_dutch / priority only: makes the order a Cosigned*
//   "cosignerKey": "0x<32 bytes>",          // optional: cosign (raw ECDSA over cosignatureHash, v in {27,28})
//   "cosignature": "0x...",                 // optional instead of cosignerKey: use these bytes as the cosignature
//                                           // (with cosignerData and neither of the two, the cosignature is "0x")
//   "swapperKey":  "0x<32 bytes>",          // optional: sign permitData (EIP-712) with an ethers Wallet
//   "encoded":     "0x...",                 // optional instead of "order"/"cosignerData"/"cosignerKey"/
//                                           // "cosignature": parse these bytes with the kind's SDK parse()
//   "cosigned":    bool,                    // optional, only with "encoded" (not for dutch): parse with
//                                           // Cosigned*.parse (true) or Unsigned*.parse (false); default:
//                                           // true iff the decoded cosignature is non-empty
//   "resolveOptions": {...}                 // optional: call order.resolve() with these (below), informational
// }
//
// "order" per kind (field names exactly as the SDK constructors take them):
//   common OrderInfo fields, all kinds:
//     reactor: address, swapper: address, nonce: [big], deadline: [num],
//     additionalValidationContract: address, additionalValidationData: bytes
//   dutch (SDK DutchOrder = ExclusiveDutchOrder), OrderInfo plus:
//     decayStartTime: [num], decayEndTime: [num], exclusiveFiller: address, exclusivityOverrideBps: [big],
//     input:   {token: address, startAmount: [big], endAmount: [big]},
//     outputs: [{token: address, startAmount: [big], endAmount: [big], recipient: address}, ...]
//   v2_dutch (SDK UnsignedV2DutchOrder / CosignedV2DutchOrder), OrderInfo plus:
//     cosigner: address,
//     input:   {token: address, startAmount: [big], endAmount: [big]},
//     outputs: [{token: address, startAmount: [big], endAmount: [big], recipient: address}, ...]
//   v3_dutch (SDK UnsignedV3DutchOrder / CosignedV3DutchOrder), OrderInfo plus:
//     cosigner: address, startingBaseFee: [big],
//     input:   {token: address, startAmount: [big], curve: CURVE, maxAmount: [big],
//               adjustmentPerGweiBaseFee: [big]},
//     outputs: [{token: address, startAmount: [big], curve: CURVE, recipient: address, minAmount: [big],
//                adjustmentPerGweiBaseFee: [big]}, ...]
//     CURVE = {relativeBlocks: [[num], ...] (each < 2**16, at most 16), relativeAmounts: [[bigint], ...] (int256)}
//     (relativeBlocks is packed 16 bits each into one uint256; parse unpacks as many as there are relativeAmounts)
//   priority (SDK UnsignedPriorityOrder / CosignedPriorityOrder), OrderInfo plus:
//     cosigner: address, auctionStartBlock: [big], baselinePriorityFeeWei: [big],
//     input:   {token: address, amount: [big], mpsPerPriorityFeeWei: [big]},
//     outputs: [{token: address, amount: [big], mpsPerPriorityFeeWei: [big], recipient: address}, ...]
//
// "cosignerData" per kind:
//   v2_dutch: {decayStartTime: [num], decayEndTime: [num], exclusiveFiller: address,
//              exclusivityOverrideBps: [big], inputOverride: [big], outputOverrides: [[big], ...]}
//   v3_dutch: {decayStartBlock: [num], exclusiveFiller: address, exclusivityOverrideBps: [big],
//              inputOverride: [big], outputOverrides: [[big], ...]}
//   priority: {auctionTargetBlock: [big]}
//
// "resolveOptions" per kind (the SDK's resolve option types; unknown fields are an error):
//   dutch, v2_dutch: {timestamp: [num], filler?: address}
//   v3_dutch:        {currentBlock: [num], filler?: address}
//   priority:        {priorityFee: [big], currentBlock?: [big]}
//   Unsigned v2/priority orders throw "Method not implemented" and UnsignedV3DutchOrder has no resolve(): that
//   and any other throw (e.g. priority's OrderNotFillable) is reported in "resolveError", not as a failure.
//
// ── Result ──────────────────────────────────────────────────────────────────────────────────────────────────
// {
//   "kind", "chainId", "permit2Address" (order.permit2Address),
//   "cosigned":        bool,                // a Cosigned* order (false for dutch)
//   "info":            {...},               // order.info, JSON-safe: the request's "order" shape, plus
//                                           // "cosignerData" and "cosignature" when cosigned (an Unsigned*.parse
//                                           // of v2/v3/priority bytes also keeps the decoded placeholders)
//   "encoded":         "0x...",             // order.serialize() (for Cosigned*, the full cosigned encoding)
//   "unsignedEncoded": "0x...",             // v2/v3/priority only: Unsigned*(same info).serialize(), i.e. with
//                                           // the SDK's zero cosignerData placeholder and "0x" cosignature.
//                                           // SDK bug (3.1.0): UnsignedV3DutchOrder.serialize() packs the
//                                           // INPUT curve's relativeBlocks into every output curve, so for
//                                           // v3_dutch this is wrong whenever an output curve's relativeBlocks
//                                           // differ from the input's (the cosigned "encoded" is right)
//   "hash":            "0x...",             // order.hash()
//   "permitData":      {domain, types, values},  // order.permitData(), JSON-safe (no EIP712Domain in types)
//   "permitPrimaryType": "PermitWitnessTransferFrom",  // ethers _TypedDataEncoder.from(types).primaryType
//   "permitDigest":    "0x...",             // ethers.utils._TypedDataEncoder.hash(domain, types, values)
//   "signature":       "0x<65 bytes>",      // with swapperKey: Wallet(swapperKey)._signTypedData(permitData)
//   "signer":          address,             // with swapperKey: order.getSigner(signature)
//   cosigned orders only:
//   "cosignatureHash": "0x...",             // order.cosignatureHash(info.cosignerData):
//                                           //  v2_dutch: keccak256(hash ++ abi.encode(cosignerData)), NO chainId
//                                           //  v3_dutch, priority:
//                                           //    keccak256(hash ++ uint256(chainId) ++ abi.encode(cosignerData))
//   "cosignature":     "0x...",             // info.cosignature (with cosignerKey: r||s||v over cosignatureHash)
//   "sdkRecoveredCosigner": address,        // order.recoverCosigner(), when the cosignature is non-empty.
//                                           // v3_dutch: ecrecover of the raw hash (what the reactor does);
//                                           // v2_dutch, priority: ethers verifyMessage(hashHex, sig), i.e.
//                                           // EIP-191 over the 66-char hex TEXT of the hash: not the cosigner
//                                           // for a cosignature the reactor accepts (reported as is)
//   "sdkRecoverCosignerError": "...",       //   ...or the message, if recoverCosigner() threw
//   with "encoded":
//   "reencoded":       "0x...",             // serialize() of the parsed order (same as "encoded")
//   with "resolveOptions":
//   "resolved":        {input: {token, amount}, outputs: [{token, amount, ...}]} | null,
//   "resolveError":    "..."                // when resolve() is missing or threw
// }

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

// Load the SDK (CommonJS build) from the project's node_modules, and ethers from the SDK's own resolution so we
// use exactly the ethers instance the SDK uses.
const projectRequire = createRequire(new URL("../../../package.json", import.meta.url));
const sdk = projectRequire("@uniswap/uniswapx-sdk");
const { ethers } = createRequire(projectRequire.resolve("@uniswap/uniswapx-sdk"))("ethers");

// ── field schemas: the JS type of each field the SDK constructors take ──────────────────────────────────────
const NUM = "num";
const BIG = "big";
const BIGINT = "bigint";
const HEX = "hex";
const opt = (type) => ({ optional: type });

const ORDER_INFO = {
  reactor: HEX,
  swapper: HEX,
  nonce: BIG,
  deadline: NUM,
  additionalValidationContract: HEX,
  additionalValidationData: HEX,
};
const DUTCH_INPUT = { token: HEX, startAmount: BIG, endAmount: BIG };
const DUTCH_OUTPUT = { token: HEX, startAmount: BIG, endAmount: BIG, recipient: HEX };
const CURVE = { relativeBlocks: [NUM], relativeAmounts: [BIGINT] };

const KINDS = {
  dutch: {
    Unsigned: sdk.DutchOrder,
    Cosigned: null,
    order: {
      ...ORDER_INFO,
      decayStartTime: NUM,
      decayEndTime: NUM,
      exclusiveFiller: HEX,
      exclusivityOverrideBps: BIG,
      input: DUTCH_INPUT,
      outputs: [DUTCH_OUTPUT],
    },
    resolveOptions: { timestamp: NUM, filler: opt(HEX) },
  },
  v2_dutch: {
    Unsigned: sdk.UnsignedV2DutchOrder,
    Cosigned: sdk.CosignedV2DutchOrder,
    order: { ...ORDER_INFO, cosigner: HEX, input: DUTCH_INPUT, outputs: [DUTCH_OUTPUT] },
    cosignerData: {
      decayStartTime: NUM,
      decayEndTime: NUM,
      exclusiveFiller: HEX,
      exclusivityOverrideBps: BIG,
      inputOverride: BIG,
      outputOverrides: [BIG],
    },
    resolveOptions: { timestamp: NUM, filler: opt(HEX) },
  },
  v3_dutch: {
    Unsigned: sdk.UnsignedV3DutchOrder,
    Cosigned: sdk.CosignedV3DutchOrder,
    order: {
      ...ORDER_INFO,
      cosigner: HEX,
      startingBaseFee: BIG,
      input: { token: HEX, startAmount: BIG, curve: CURVE, maxAmount: BIG, adjustmentPerGweiBaseFee: BIG },
      outputs: [
        {
          token: HEX,
          startAmount: BIG,
          curve: CURVE,
          recipient: HEX,
          minAmount: BIG,
          adjustmentPerGweiBaseFee: BIG,
        },
      ],
    },
    cosignerData: {
      decayStartBlock: NUM,
      exclusiveFiller: HEX,
      exclusivityOverrideBps: BIG,
      inputOverride: BIG,
      outputOverrides: [BIG],
    },
    resolveOptions: { currentBlock: NUM, filler: opt(HEX) },
  },
  priority: {
    Unsigned: sdk.UnsignedPriorityOrder,
    Cosigned: sdk.CosignedPriorityOrder,
    order: {
      ...ORDER_INFO,
      cosigner: HEX,
      auctionStartBlock: BIG,
      baselinePriorityFeeWei: BIG,
      input: { token: HEX, amount: BIG, mpsPerPriorityFeeWei: BIG },
      outputs: [{ token: HEX, amount: BIG, mpsPerPriorityFeeWei: BIG, recipient: HEX }],
    },
    cosignerData: { auctionTargetBlock: BIG },
    resolveOptions: { priorityFee: BIG, currentBlock: opt(BIG) },
  },
};

const REQUEST_KEYS = new Set([
  "kind",
  "chainId",
  "permit2",
  "order",
  "cosignerData",
  "cosignerKey",
  "cosignature",
  "swapperKey",
  "encoded",
  "cosigned",
  "resolveOptions",
]);

class RequestError extends Error {}

function integerText(value, path) {
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return value;
  throw new RequestError(`${path}: expected an integer (decimal string or safe JSON integer), got ${JSON.stringify(value)}`);
}

// Convert a request value to what the SDK takes, following the schema; unknown or missing fields are errors.
function convert(schema, value, path) {
  if (typeof schema === "object" && schema !== null && "optional" in schema) {
    return value === undefined || value === null ? undefined : convert(schema.optional, value, path);
  }
  if (Array.isArray(schema)) {
    if (!Array.isArray(value)) throw new RequestError(`${path}: expected an array`);
    return value.map((item, i) => convert(schema[0], item, `${path}[${i}]`));
  }
  if (typeof schema === "object") {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new RequestError(`${path}: expected an object`);
    }
    for (const key of Object.keys(value)) {
      if (!(key in schema)) throw new RequestError(`${path}.${key}: unknown field`);
    }
    const out = {};
    for (const [key, fieldSchema] of Object.entries(schema)) {
      const isOptional = typeof fieldSchema === "object" && fieldSchema !== null && "optional" in fieldSchema;
      if (!(key in value) && !isOptional) throw new RequestError(`${path}.${key}: missing`);
      const converted = convert(fieldSchema, value[key], `${path}.${key}`);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  }
  switch (schema) {
    case HEX:
      if (typeof value !== "string" || !/^0x[0-9a-fA-F]*$/.test(value)) {
        throw new RequestError(`${path}: expected a 0x-hex string, got ${JSON.stringify(value)}`);
      }
      return value;
    case NUM: {
      const n = Number(integerText(value, path));
      if (!Number.isSafeInteger(n)) throw new RequestError(`${path}: ${value} is not a safe JS integer`);
      return n;
    }
    case BIG:
      return ethers.BigNumber.from(integerText(value, path));
    case BIGINT:
      return BigInt(integerText(value, path));
    default:
      throw new Error(`bad schema ${schema}`);
  }
}

// JSON-safe copy: every integer (BigNumber, bigint, number) becomes a decimal string.
function jsonSafe(value) {
  if (value === undefined || value === null) return null;
  if (ethers.BigNumber.isBigNumber(value)) return value.toString();
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`non-integer number ${value} in SDK output`);
    return String(value);
  }
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === "object") {
    const out = {};
    for (const [key, item] of Object.entries(value)) out[key] = jsonSafe(item);
    return out;
  }
  throw new Error(`cannot make ${typeof value} JSON-safe`);
}

function hex32(key, path) {
  if (typeof key !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new RequestError(`${path}: expected a 0x-prefixed 32-byte private key`);
  }
  return key;
}

function buildOrder(request, spec) {
  const chainId = convert(NUM, request.chainId, "chainId");
  const permit2 = convert(HEX, request.permit2, "permit2");
  if (request.encoded !== undefined) {
    for (const key of ["order", "cosignerData", "cosignerKey", "cosignature"]) {
      if (request[key] !== undefined) throw new RequestError(`"${key}" cannot be combined with "encoded"`);
    }
    const encoded = convert(HEX, request.encoded, "encoded");
    if (!spec.Cosigned) {
      if (request.cosigned) throw new RequestError(`kind ${request.kind} has no cosigned form`);
      return { order: spec.Unsigned.parse(encoded, chainId, permit2), cosigned: false };
    }
    let cosigned = request.cosigned;
    if (cosigned === undefined) {
      const probe = spec.Cosigned.parse(encoded, chainId, permit2);
      cosigned = ethers.utils.hexDataLength(probe.info.cosignature) > 0;
    }
    const Class = cosigned ? spec.Cosigned : spec.Unsigned;
    return { order: Class.parse(encoded, chainId, permit2), cosigned: Boolean(cosigned) };
  }
  if (request.cosigned !== undefined) throw new RequestError(`"cosigned" only goes with "encoded"`);
  const info = convert(spec.order, request.order, "order");
  const unsigned = new spec.Unsigned(info, chainId, permit2);
  if (request.cosignerData === undefined) {
    for (const key of ["cosignerKey", "cosignature"]) {
      if (request[key] !== undefined) throw new RequestError(`"${key}" needs "cosignerData"`);
    }
    return { order: unsigned, cosigned: false };
  }
  if (!spec.Cosigned) throw new RequestError(`kind ${request.kind} takes no cosignerData`);
  const cosignerData = convert(spec.cosignerData, request.cosignerData, "cosignerData");
  let cosignature = "0x";
  if (request.cosignerKey !== undefined && request.cosignature !== undefined) {
    throw new RequestError(`give "cosignerKey" or "cosignature", not both`);
  }
  if (request.cosignerKey !== undefined) {
    const key = new ethers.utils.SigningKey(hex32(request.cosignerKey, "cosignerKey"));
    // Raw ECDSA over the 32-byte hash, as the reactors ecrecover it: r || s || v with v in {27, 28}.
    cosignature = ethers.utils.joinSignature(key.signDigest(unsigned.cosignatureHash(cosignerData)));
  } else if (request.cosignature !== undefined) {
    cosignature = convert(HEX, request.cosignature, "cosignature");
  }
  return { order: spec.Cosigned.fromUnsignedOrder(unsigned, cosignerData, cosignature), cosigned: true };
}

async function answer(request) {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    throw new RequestError("a request must be an object");
  }
  for (const key of Object.keys(request)) {
    if (!REQUEST_KEYS.has(key)) throw new RequestError(`unknown request field "${key}"`);
  }
  const spec = KINDS[request.kind];
  if (!spec) throw new RequestError(`unknown kind ${JSON.stringify(request.kind)} (one of ${Object.keys(KINDS)})`);

  const { order, cosigned } = buildOrder(request, spec);
  const result = {
    kind: request.kind,
    chainId: jsonSafe(order.chainId),
    permit2Address: order.permit2Address,
    cosigned,
    info: jsonSafe(order.info),
    encoded: order.serialize(),
  };
  if (spec.Cosigned) {
    result.unsignedEncoded = new spec.Unsigned(order.info, order.chainId, order.permit2Address).serialize();
  }
  result.hash = order.hash();

  const permitData = order.permitData();
  const { domain, types, values } = permitData;
  result.permitData = jsonSafe({ domain, types, values });
  result.permitPrimaryType = ethers.utils._TypedDataEncoder.from(types).primaryType;
  result.permitDigest = ethers.utils._TypedDataEncoder.hash(domain, types, values);

  if (request.swapperKey !== undefined) {
    const wallet = new ethers.Wallet(hex32(request.swapperKey, "swapperKey"));
    result.signature = await wallet._signTypedData(domain, types, values);
    result.signer = order.getSigner(result.signature);
  }

  if (cosigned) {
    result.cosignatureHash = order.cosignatureHash(order.info.cosignerData);
    result.cosignature = order.info.cosignature;
    if (ethers.utils.hexDataLength(order.info.cosignature) > 0) {
      try {
        result.sdkRecoveredCosigner = order.recoverCosigner();
      } catch (error) {
        result.sdkRecoverCosignerError = String(error?.message ?? error);
      }
    }
  }

  if (request.encoded !== undefined) result.reencoded = order.serialize();

  if (request.resolveOptions !== undefined) {
    const options = convert(spec.resolveOptions, request.resolveOptions, "resolveOptions");
    if (typeof order.resolve !== "function") {
      result.resolved = null;
      result.resolveError = `${order.constructor.name} has no resolve()`;
    } else {
      try {
        result.resolved = jsonSafe(order.resolve(options));
      } catch (error) {
        result.resolved = null;
        result.resolveError = String(error?.message ?? error);
      }
    }
  }
  return result;
}

async function main() {
  const requests = JSON.parse(readFileSync(0, "utf8"));
  if (!Array.isArray(requests)) throw new RequestError("stdin must be a JSON array of requests");
  const results = [];
  for (const [i, request] of requests.entries()) {
    try {
      results.push(await answer(request));
    } catch (error) {
      const what = error instanceof RequestError ? "bad request" : "SDK error";
      const kind = request && typeof request === "object" ? ` (${request.kind})` : "";
      throw new Error(`request #${i}${kind}: ${what}: ${error?.message ?? error}`, { cause: error });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(`sdk_oracle: ${error?.message ?? error}\n`);
  process.exitCode = 1;
});
