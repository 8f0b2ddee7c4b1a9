import { expect } from "chai";

import { wantsPrettyLogs } from "../../src/cli/commands/context";

describe("keeper log format", () => {
  it("human-readable on a terminal, JSON when not a TTY or with --log-json", () => {
    expect(wantsPrettyLogs({}, true)).to.equal(true);
    expect(wantsPrettyLogs({}, false)).to.equal(false);
    expect(wantsPrettyLogs({ logJson: true }, true)).to.equal(false);
    expect(wantsPrettyLogs({ logPretty: true }, false)).to.equal(true);
    expect(wantsPrettyLogs({ logPretty: true, logJson: true }, true)).to.equal(false);
  });
});
