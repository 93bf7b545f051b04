package debian

import (
	"strings"
	"testing"
)

// trixieLike is an index where libssl3 is only provided (trixie's 64-bit
// time_t rename), libssl1.1 exists (bullseye), and two packages provide a
// virtual name.
func trixieLike(t *testing.T) *index {
	t.Helper()
	ix, err := newIndex([]Package{
		{Name: "libc6", Version: "2.41-12"},
		{Name: "libssl3t64", Version: "3.5.1-1", Depends: "libc6 (>= 2.38)", Provides: "libssl3 (= 3.5.1-1)"},
		{Name: "libssl1.1", Version: "1.1.1w-0"},
		{Name: "mawk", Version: "1.3.4", Provides: "awk"},
		{Name: "gawk", Version: "5.2.1", Provides: "awk"},
		{Name: "app", Version: "1", Depends: "libssl3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestResolveRequested(t *testing.T) {
	ix := trixieLike(t)
	for _, tc := range []struct {
		req  []string
		want string
		err  string
	}{
		{req: []string{"libssl3"}, want: "libc6=2.41-12 libssl3t64=3.5.1-1"},
		{req: []string{"libssl3 | libssl1.1"}, want: "libc6=2.41-12 libssl3t64=3.5.1-1"},
		{req: []string{"libssl1.1 | libssl3"}, want: "libssl1.1=1.1.1w-0"},
		{req: []string{"libssl4 | libssl1.1"}, want: "libssl1.1=1.1.1w-0"},
		{req: []string{"app"}, want: "app=1 libc6=2.41-12 libssl3t64=3.5.1-1"},
		{req: []string{"libssl4 | libssl5"}, err: "no package libssl4 or libssl5"},
		{req: []string{"libssl3=3.5.1-1"}, err: `no package "libssl3"`},
		{req: []string{"awk"}, err: `"awk" is virtual, provided by gawk, mawk: name one`},
		{req: []string{"awk | libssl1.1"}, err: "provided by gawk, mawk"},
		{req: []string{"libssl3 | libc6=1"}, err: "with no versions"},
		{req: []string{"nothing"}, err: `no package "nothing"`},
	} {
		got, err := ix.resolve(tc.req, nil)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.req, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.req, err)
			continue
		}
		var names []string
		for _, p := range got {
			names = append(names, p.String())
		}
		if s := strings.Join(names, " "); s != tc.want {
			t.Errorf("%q: %s, want %s", tc.req, s, tc.want)
		}
	}
}

func TestForSuite(t *testing.T) {
	k := "/usr/share/keyrings/debian-archive-keyring.gpg"
	machine := []Source{
		{URI: "http://mirror.invalid/debian", Suite: "bookworm", Components: []string{"main"}, SignedBy: k},
		{URI: "http://mirror.invalid/debian", Suite: "bookworm-updates", Components: []string{"main"}, SignedBy: k},
		{URI: "http://mirror.invalid/debian", Suite: "bookworm-backports", Components: []string{"main"}, SignedBy: k},
		{URI: "http://mirror.invalid/debian-security", Suite: "bookworm-security", Components: []string{"main"}, SignedBy: k},
		{URI: "https://vendor.invalid/node", Suite: "nodistro", Components: []string{"main"}},
		{URI: "https://vendor.invalid/sdk", Suite: "cloud-sdk-bookworm", Components: []string{"main"}},
	}
	str := func(ss []Source) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.String()+" ["+s.SignedBy+"]")
		}
		return strings.Join(out, "\n")
	}
	for _, tc := range []struct {
		srcs    []Source
		suite   string
		want    []string
		derived bool
	}{
		{machine, "bookworm", []string{
			"http://mirror.invalid/debian bookworm main [" + k + "]",
			"http://mirror.invalid/debian bookworm-updates main [" + k + "]",
			"http://mirror.invalid/debian bookworm-backports main [" + k + "]",
			"http://mirror.invalid/debian-security bookworm-security main [" + k + "]",
		}, false},
		{machine, "trixie", []string{
			"http://mirror.invalid/debian trixie main [" + k + "]",
			"http://mirror.invalid/debian trixie-updates main [" + k + "]",
			"http://mirror.invalid/debian-security trixie-security main [" + k + "]",
		}, true},
		{machine, "sid", []string{"http://mirror.invalid/debian sid main [" + k + "]"}, true},
		{[]Source{{URI: "http://m.invalid/debian", Components: []string{"main"}}}, "bullseye", []string{"http://m.invalid/debian bullseye main []"}, false},
		{[]Source{{URI: "https://vendor.invalid/node", Suite: "nodistro"}}, "trixie", nil, false},
	} {
		got, derived := ForSuite(tc.srcs, tc.suite)
		if str(got) != strings.Join(tc.want, "\n") || derived != tc.derived {
			t.Errorf("%s: derived %v\n%s\nwant derived %v\n%s", tc.suite, derived, str(got), tc.derived, strings.Join(tc.want, "\n"))
		}
	}
}

// TestPresets: every preset names its suite, and pins no version.
func TestPresets(t *testing.T) {
	for name, p := range Presets {
		if p.Suite == "" {
			t.Errorf("preset %s names no suite", name)
		}
		for _, pkg := range p.Packages {
			if strings.Contains(pkg, "=") {
				t.Errorf("preset %s pins %s", name, pkg)
			}
		}
	}
	for name, suite := range map[string]string{"java11": "bullseye", "java17": "bookworm", "java21": "trixie", "java25": "trixie"} {
		if Presets[name].Suite != suite {
			t.Errorf("preset %s: suite %q, want %s", name, Presets[name].Suite, suite)
		}
	}
}
