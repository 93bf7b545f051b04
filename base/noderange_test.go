package base

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// rangeCases are engines.node values in the forms projects write, each with
// versions it accepts and versions it does not.
var rangeCases = []struct {
	rng      string
	yes, not []string
}{
	{">=24.18.0", []string{"24.18.0", "24.22.3", "26.12.1"}, []string{"24.17.9", "18.20.4", "24.18.0-rc.1"}},
	{">= 24", []string{"24.0.0", "25.1.0"}, []string{"23.11.1"}},
	{">=24", []string{"24.0.0"}, []string{"24.0.0-pre"}},
	{"^20.11.0", []string{"20.11.0", "20.20.2"}, []string{"21.0.0", "20.10.9"}},
	{"^0.12.0", []string{"0.12.18"}, []string{"0.13.0"}},
	{"^0.0.3", []string{"0.0.3"}, []string{"0.0.4"}},
	{"~22.1", []string{"22.1.0", "22.1.9"}, []string{"22.2.0"}},
	{"~22", []string{"22.23.5"}, []string{"23.0.0"}},
	{"~22.1.2", []string{"22.1.2"}, []string{"22.1.1", "22.2.0"}},
	{"22.x", []string{"22.0.0", "22.23.5"}, []string{"21.9.9", "23.0.0"}},
	{"22", []string{"22.23.5"}, []string{"23.0.0"}},
	{"22.1.*", []string{"22.1.7"}, []string{"22.2.0"}},
	{"*", []string{"0.12.18", "26.12.1"}, nil},
	{"", []string{"20.0.0"}, nil},
	{"x", []string{"20.0.0"}, nil},
	{"<20", []string{"18.20.8", "19.9.9"}, []string{"20.0.0", "20.0.0-rc.1"}},
	{"<=20", []string{"20.20.2"}, []string{"21.0.0"}},
	{"<=20.1", []string{"20.1.9"}, []string{"20.2.0"}},
	{">20", []string{"21.0.0"}, []string{"20.20.2"}},
	{">20.1", []string{"20.2.0"}, []string{"20.1.9"}},
	{">20.1.2", []string{"20.1.3"}, []string{"20.1.2"}},
	{"=20.1.2", []string{"20.1.2"}, []string{"20.1.3"}},
	{"v20.1.2", []string{"20.1.2"}, []string{"20.1.3"}},
	{"18 || 20 || >=22", []string{"18.20.4", "20.1.0", "26.0.0"}, []string{"19.0.0", "21.7.3"}},
	{">=18 <19 || >=22", []string{"18.20.4", "24.0.0"}, []string{"20.20.2"}},
	{"^18.18.0 || ^20.9.0 || >=21.1.0", []string{"18.18.0", "20.9.0", "21.1.0"}, []string{"18.17.1", "20.8.0", "21.0.0"}},
	{"20 - 22", []string{"20.0.0", "22.23.5"}, []string{"19.9.9", "23.0.0"}},
	{"20.1 - 22.3.4", []string{"20.1.0", "22.3.4"}, []string{"20.0.9", "22.3.5"}},
	{"20.1.2 - 22.3", []string{"22.3.9"}, []string{"22.4.0"}},
	{">=20.0.0-rc.1", []string{"20.0.0-rc.1", "20.0.0-rc.2", "20.1.0"}, []string{"20.1.0-rc.1", "20.0.0-beta.1"}},
	{">=1.0.0 <2.0.0 || >=3.0.0", []string{"1.5.0", "3.0.0"}, []string{"2.0.0"}},
	{"<0.0.0-0", nil, []string{"0.0.0"}},
	{">*", nil, []string{"20.0.0"}},
}

func TestNodeRange(t *testing.T) {
	for _, tc := range rangeCases {
		t.Run(tc.rng, func(t *testing.T) {
			r, err := ParseNodeRange(tc.rng)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.yes {
				if v, err := ParseNodeVersion(s); err != nil || !r.Satisfies(v) {
					t.Errorf("%s does not satisfy %q (%v)", s, tc.rng, err)
				}
			}
			for _, s := range tc.not {
				if v, err := ParseNodeVersion(s); err != nil || r.Satisfies(v) {
					t.Errorf("%s satisfies %q (%v)", s, tc.rng, err)
				}
			}
		})
	}
}

func TestNodeRangeInvalid(t *testing.T) {
	for _, s := range []string{"latest", "lts", ">=24.a", "1.2.3.4", ">=>24", "24.0.0-", "node"} {
		if r, err := ParseNodeRange(s); err == nil {
			t.Errorf("ParseNodeRange(%q) = %v, want an error", s, r)
		}
	}
}

func TestNodeRangeLowestRelease(t *testing.T) {
	for _, tc := range []struct {
		rng   string
		major int
		want  string // "" none
	}{
		{">=24.18.0", 24, "24.18.0"},
		{">=24.18.0", 22, ""},
		{">=24.18.0", 26, "26.0.0"},
		{"^20.11.0", 20, "20.11.0"},
		{"^20.11.0", 22, ""},
		{"18 || >=22", 20, ""},
		{"18 || >=22", 22, "22.0.0"},
		{">20.1.2 <20.1.3", 20, ""},
		{">20.1.2 <=20.1.3", 20, "20.1.3"},
		{"<20", 18, "18.0.0"},
		{"20.1.x", 20, "20.1.0"},
		{"=20.0.0-rc.1", 20, ""},
	} {
		r, err := ParseNodeRange(tc.rng)
		if err != nil {
			t.Fatal(err)
		}
		v, ok := r.LowestRelease(tc.major)
		got := ""
		if ok {
			got = v.String()
		}
		if got != tc.want {
			t.Errorf("%q, Node %d: lowest release %q, want %q", tc.rng, tc.major, got, tc.want)
		}
	}
}

// TestNodeRangeAgainstNpm asks npm's own semver (the copy npm ships) whether
// each version of the table satisfies each range, and compares.
func TestNodeRangeAgainstNpm(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("no npm")
	}
	root, err := exec.Command(npm, "root", "-g").Output()
	if err != nil {
		t.Skipf("npm root -g: %v", err)
	}
	semver := filepath.Join(strings.TrimSpace(string(root)), "npm", "node_modules", "semver")
	if _, err := os.Stat(semver); err != nil {
		t.Skipf("npm's semver is not at %s", semver)
	}
	var ranges []string
	versions := map[string]bool{}
	for _, tc := range rangeCases {
		ranges = append(ranges, tc.rng)
		for _, v := range append(append([]string{}, tc.yes...), tc.not...) {
			versions[v] = true
		}
	}
	var vs []string
	for v := range versions {
		vs = append(vs, v)
	}
	in, _ := json.Marshal(map[string]any{"ranges": ranges, "versions": vs})
	script := `const semver = require(process.argv[1]);
const {ranges, versions} = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = {};
for (const r of ranges) { out[r] = versions.filter(v => semver.satisfies(v, r)); }
console.log(JSON.stringify(out));`
	cmd := exec.Command("node", "-e", script, semver)
	cmd.Stdin = strings.NewReader(string(in))
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want map[string][]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, rs := range ranges {
		r, err := ParseNodeRange(rs)
		if err != nil {
			t.Fatal(err)
		}
		npmSays := map[string]bool{}
		for _, v := range want[rs] {
			npmSays[v] = true
		}
		for _, s := range vs {
			v, _ := ParseNodeVersion(s)
			if got := r.Satisfies(v); got != npmSays[s] {
				t.Errorf("%s in %q: langbuild says %v, npm's semver %v", s, rs, got, npmSays[s])
			}
		}
	}
}
