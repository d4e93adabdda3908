// Compile contracts/**/*.sol with solc-js and export the artifacts that npm packages ship only as JavaScript
// (UniswapX reactors, Permit2, OrderQuoter) to plain JSON, so the Python side loads every artifact alike.
//
// Output: build/contracts/<Name>.json and build/artifacts/uniswapx/<Name>.json, each {contractName, abi,
// bytecode, deployedBytecode, source}. Skips work when the inputs' hash is unchanged (build/contracts/.inputs).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const solc = require("solc");

const EVM_VERSION = "cancun"; // runs on anvil's default and on a mainnet fork alike
const OPTIMIZER_RUNS = 200;
const UNISWAPX = ["Permit2", "ExclusiveDutchOrderReactor", "V2DutchOrderReactor", "DutchOrderReactor",
  "V3DutchOrderReactor", "PriorityOrderReactor", "OrderQuoter", "SwapRouter02Executor"];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".sol") ? [path] : [];
  });
}

function findImport(path) {
  for (const base of [root, join(root, "node_modules")]) {
    const full = join(base, path);
    if (existsSync(full)) return { contents: readFileSync(full, "utf8") };
  }
  return { error: `import not found: ${path}` };
}

function compileSolidity(outDir) {
  const files = walk(join(root, "contracts")).sort();
  const sources = Object.fromEntries(files.map((f) => [relative(root, f), { content: readFileSync(f, "utf8") }]));
  const hash = createHash("sha256").update(solc.version()).update(JSON.stringify(sources)).digest("hex");
  const stamp = join(outDir, ".inputs");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    console.log(`contracts: up to date (${files.length} sources)`);
    return;
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) console.error(e.formattedMessage);
  if (errors.length) process.exit(1);
  mkdirSync(outDir, { recursive: true });
  let count = 0;
  for (const [source, contracts] of Object.entries(output.contracts)) {
    if (!source.startsWith("contracts/")) continue;
    for (const [name, c] of Object.entries(contracts)) {
      if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts
      writeFileSync(join(outDir, `${name}.json`), JSON.stringify({
        contractName: name, sourceName: source, compiler: `solc-js ${solc.version()}`, abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object, deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      }, null, 1));
      count += 1;
    }
  }
  writeFileSync(stamp, hash);
  console.log(`contracts: compiled ${count} contracts from ${files.length} sources with solc ${solc.version()}`);
}

function exportUniswapX(outDir) {
  mkdirSync(outDir, { recursive: true });
  const base = "node_modules/@uniswap/uniswapx-sdk/dist/cjs/src/contracts/factories"; // not in the package exports
  for (const name of UNISWAPX) {
    const factory = require(join(root, base, `${name}__factory.js`))[`${name}__factory`];
    writeFileSync(join(outDir, `${name}.json`), JSON.stringify({
      contractName: name, sourceName: `${base}/${name}__factory.js`, abi: factory.abi, bytecode: factory.bytecode,
    }));
  }
  console.log(`uniswapx: exported ${UNISWAPX.length} artifacts`);
}

compileSolidity(join(root, "build", "contracts"));
exportUniswapX(join(root, "build", "artifacts", "uniswapx"));
