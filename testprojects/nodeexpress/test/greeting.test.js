// Not shipped in the image (tests are ignored by default).
const assert = require("assert");
assert.strictEqual(require("../lib/greeting").greeting(), "hello from express");
