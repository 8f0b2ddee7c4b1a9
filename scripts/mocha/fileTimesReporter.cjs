/**
 * Mocha reporter for `npm run test:times`: the usual spec output, then every test file's wall time
 * (first suite start to last suite end; run serially so the times do not overlap),
 * slowest first, printed and written to
 * $TEST_FILE_TIMES (default test-file-times.txt).
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Mocha = require(require.resolve("mocha", { paths: [process.cwd()] }));

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class FileTimesReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const wall = new Map();
    const tests = new Map();
    const fileOf = (item) => item.file || (item.parent && item.parent.file) || undefined;
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      const file = fileOf(suite);
      if (file !== undefined && !started.has(file)) started.set(file, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const file = fileOf(suite);
      if (file !== undefined && started.has(file)) wall.set(file, Date.now() - started.get(file));
    });
    const count = (test) => {
      const file = fileOf(test);
      if (file !== undefined) tests.set(file, (tests.get(file) ?? 0) + 1);
    };
    runner.on(EVENT_TEST_PASS, count);
    runner.on(EVENT_TEST_FAIL, count);
    runner.on(EVENT_TEST_PENDING, count);
    runner.once(EVENT_RUN_END, () => {
      const rows = [...wall].sort((a, b) => b[1] - a[1]);
      const lines = rows.map(([file, ms]) => `${(ms / 1000).toFixed(1).padStart(7)} s ${String(tests.get(file) ?? 0).padStart(5)} tests  ${path.relative(process.cwd(), file)}`);
      const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
      const text = `per-file wall time (slowest first), sum ${(total / 1000).toFixed(1)} s\n${lines.join("\n")}\n`;
      const out = process.env.TEST_FILE_TIMES || "test-file-times.txt";
      fs.writeFileSync(out, text);
      process.stdout.write(`\n${text}(written to ${out})\n`);
    });
  }
}

module.exports = FileTimesReporter;
