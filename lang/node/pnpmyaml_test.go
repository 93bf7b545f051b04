package node

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseYAML(t *testing.T) {
	doc := `# a comment
lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      '@s/a':
        specifier: ^1.0.0
        version: 1.0.0(react@19.0.0)
"quoted key": "a \"b\""
single: 'it''s'
flow: {integrity: sha512-abc==, tarball: 'https://x/y.tgz'}
nested: {a: {b: c}, d: [x, 'y, z']}
empty: {}
list: [x64, arm64]
block:
  - one
  - 'two'
same:
- three
after: ok
colon: file:a/b
`
	n, err := parseYAML("f.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		got, want any
	}{
		{n.get("lockfileVersion").str(), "9.0"},
		{n.get("importers").get(".").get("dependencies").get("@s/a").get("version").str(), "1.0.0(react@19.0.0)"},
		{n.get("quoted key").str(), `a "b"`},
		{n.get("single").str(), "it's"},
		{n.get("flow").get("integrity").str(), "sha512-abc=="},
		{n.get("flow").get("tarball").str(), "https://x/y.tgz"},
		{n.get("nested").get("a").get("b").str(), "c"},
		{n.get("nested").get("d").list, []string{"x", "y, z"}},
		{n.get("empty").strMap(), map[string]string(nil)},
		{n.get("list").list, []string{"x64", "arm64"}},
		{n.get("block").list, []string{"one", "two"}},
		{n.get("same").list, []string{"three"}},
		{n.get("after").str(), "ok"},
		{n.get("colon").str(), "file:a/b"},
		{n.get("missing").get("x").str(), ""},
		{n.keys, []string{"lockfileVersion", "importers", "quoted key", "single", "flow", "nested", "empty", "list", "block", "same", "after", "colon"}},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("got %#v, want %#v", tc.got, tc.want)
		}
	}
}

func TestParseYAMLErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"a: 1\n  b: 2\n", "f.yaml:2: unexpected indentation"},
		{"a: 1\na: 2\n", `f.yaml:2: key "a" repeated`},
		{"a: |\n  text\n", "f.yaml:1:"},
		{"a: &x 1\n", "anchors"},
		{"a: {b: 1\n", "f.yaml:1: a flow mapping that does not end on its line"},
		{"a: 'open\n", "unterminated"},
		{"just text\n", `"just text" is not key: value`},
		{"a:\n  - x\n  b: 1\n", "a mapping key among sequence items"},
		{"a:\n\t- x\n", "tab"},
	} {
		_, err := parseYAML("f.yaml", []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.doc, err, tc.want)
		}
	}
}

func FuzzParseYAML(f *testing.F) {
	f.Add([]byte("a:\n  b: {c: d, e: [f]}\n  g:\n    - 'h'\n"))
	f.Add([]byte(testPnpmLock))
	f.Add([]byte(testBerryLock))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseYAML("f.yaml", b)
		parsePnpmLock("pnpm-lock.yaml", b)
		parseBerryLock("yarn.lock", b)
	})
}
