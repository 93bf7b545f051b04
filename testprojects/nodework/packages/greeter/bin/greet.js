#!/usr/bin/env node
// A workspace bin: requires its package through a path relative to its real location.
console.log(require("../index.js").greet(process.argv[2] || "bin"));
