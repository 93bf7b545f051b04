// Package debian builds distroless-style base images from Debian packages:
// it reads an apt repository itself (signed Release files, Packages indexes),
// resolves a package list's dependency closure, downloads and checks the .deb
// files, and turns their contents into a layering.Plan — with what maintainer
// scripts would have done (users, CA bundle, Java trust store, timezone, dpkg
// status) done declaratively. Nothing is run: no dpkg, no apt, no scripts.
package debian

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Source is one apt repository: a base URI, a suite and its components.
type Source struct {
	URI        string
	Suite      string
	Components []string
	// SignedBy is the keyring that signs the suite's Release file, if known.
	SignedBy string
}

func (s Source) String() string {
	return s.URI + " " + s.Suite + " " + strings.Join(s.Components, " ")
}

// ReadSources reads the apt sources configured under dir (normally /etc/apt):
// sources.list and sources.list.d/*.list (one-line format) and
// sources.list.d/*.sources (deb822). Only "deb" entries are returned; files
// apt itself ignores (such as *.disabled) are skipped.
func ReadSources(dir string) ([]Source, error) {
	var files []string
	if _, err := os.Stat(filepath.Join(dir, "sources.list")); err == nil {
		files = append(files, filepath.Join(dir, "sources.list"))
	}
	more, _ := filepath.Glob(filepath.Join(dir, "sources.list.d", "*"))
	sort.Strings(more)
	files = append(files, more...)
	var out []Source
	for _, f := range files {
		var ss []Source
		var err error
		switch {
		case strings.HasSuffix(f, ".list"):
			ss, err = readOneLine(f)
		case strings.HasSuffix(f, ".sources"):
			ss, err = readDeb822(f)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	return out, nil
}

func readOneLine(file string) ([]Source, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Source
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "deb" {
			continue
		}
		fields = fields[1:]
		var signedBy string
		if len(fields) > 0 && strings.HasPrefix(fields[0], "[") {
			var opts []string
			for len(fields) > 0 {
				opts = append(opts, strings.Trim(fields[0], "[]"))
				done := strings.HasSuffix(fields[0], "]")
				fields = fields[1:]
				if done {
					break
				}
			}
			for _, o := range opts {
				if k, v, ok := strings.Cut(o, "="); ok && k == "signed-by" {
					signedBy = v
				}
			}
		}
		if len(fields) < 2 {
			return nil, fmt.Errorf("%s:%d: a deb line needs a URI and a suite", file, n)
		}
		out = append(out, Source{URI: strings.TrimSuffix(fields[0], "/"), Suite: fields[1], Components: fields[2:], SignedBy: signedBy})
	}
	return out, sc.Err()
}

func readDeb822(file string) ([]Source, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	paras, err := parseParagraphs(string(b), file)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, p := range paras {
		if !strings.Contains(" "+p.get("Types")+" ", " deb ") || strings.EqualFold(p.get("Enabled"), "no") {
			continue
		}
		uris, suites := strings.Fields(p.get("URIs")), strings.Fields(p.get("Suites"))
		if len(uris) == 0 || len(suites) == 0 {
			return nil, fmt.Errorf("%s:%d: a deb entry needs URIs and Suites", file, p.line)
		}
		for _, u := range uris {
			for _, s := range suites {
				out = append(out, Source{URI: strings.TrimSuffix(u, "/"), Suite: s, Components: strings.Fields(p.get("Components")), SignedBy: p.get("Signed-By")})
			}
		}
	}
	return out, nil
}

// releases are Debian's codenames and aliases: a source for one of them can
// stand for another's at the same URI (a Debian mirror carries them all).
var releases = []string{"buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid",
	"oldoldstable", "oldstable", "stable", "testing", "unstable"}

// ForSuite returns the sources of suite and its -updates and -security
// suites. A source with no suite (a bare --mirror) is taken for suite. When
// none names suite, the sources of another Debian release are used for it
// at the same URIs, with the same keyrings: a machine with bookworm's apt
// sources builds trixie and bullseye bases from the same mirrors. derived
// says so.
func ForSuite(srcs []Source, suite string) (out []Source, derived bool) {
	for _, s := range srcs {
		switch {
		case s.Suite == "":
			s.Suite = suite
			out = append(out, s)
		case s.Suite == suite || strings.HasPrefix(s.Suite, suite+"-"):
			out = append(out, s)
		}
	}
	if len(out) > 0 {
		return out, false
	}
	seen := map[string]bool{}
	for _, s := range srcs {
		rel, pocket, _ := strings.Cut(s.Suite, "-")
		if !isRelease(rel) || (pocket != "" && pocket != "updates" && pocket != "security") {
			continue
		}
		if pocket != "" && (suite == "sid" || suite == "unstable") {
			continue // unstable has no updates or security suites
		}
		if pocket != "" {
			s.Suite = suite + "-" + pocket
		} else {
			s.Suite = suite
		}
		if key := s.String(); !seen[key] {
			seen[key] = true
			out = append(out, s)
		}
	}
	return out, len(out) > 0
}

func isRelease(name string) bool {
	for _, r := range releases {
		if r == name {
			return true
		}
	}
	return false
}
