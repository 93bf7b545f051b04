// nodework's program: a workspace package and a dependency.
const semver = require("semver");
const { greet } = require("greeter");
console.log(greet("workspace"));
console.log("semver says 1.2.3 < 1.10.0:", semver.lt("1.2.3", "1.10.0"));
