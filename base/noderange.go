package base

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// NodeVersion is a semantic version as npm reads one: 24.18.0, v24.18.0,
// 25.0.0-rc.1.
type NodeVersion struct {
	Major, Minor, Patch int
	Pre                 []string // prerelease identifiers, nil for a release
}

func (v NodeVersion) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	return s
}

// ParseNodeVersion parses a full version (a leading v or = is allowed, build
// metadata after + is dropped).
func ParseNodeVersion(s string) (NodeVersion, error) {
	p, err := parsePartial(s)
	if err != nil {
		return NodeVersion{}, err
	}
	if p.n < 3 {
		return NodeVersion{}, fmt.Errorf("%q is not a full version (major.minor.patch)", s)
	}
	return p.v, nil
}

// Compare orders versions as semver does: by number, then a prerelease
// before its release, prerelease identifiers numerically when both are
// numbers, else as text.
func (v NodeVersion) Compare(o NodeVersion) int {
	for _, d := range [][2]int{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(v.Pre) == 0 && len(o.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(o.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(o.Pre); i++ {
		a, b := v.Pre[i], o.Pre[i]
		an, aerr := strconv.Atoi(a)
		bn, berr := strconv.Atoi(b)
		switch {
		case aerr == nil && berr == nil:
			if an != bn {
				if an < bn {
					return -1
				}
				return 1
			}
		case aerr == nil: // numbers sort before text
			return -1
		case berr == nil:
			return 1
		case a != b:
			if a < b {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(v.Pre) < len(o.Pre):
		return -1
	case len(v.Pre) > len(o.Pre):
		return 1
	}
	return 0
}

func (v NodeVersion) release() NodeVersion { return NodeVersion{v.Major, v.Minor, v.Patch, nil} }

// NodeRange is a version range in npm's syntax (node-semver's), as
// package.json's engines.node holds one: comparators (<, <=, >, >=, =),
// x-ranges (24, 24.x, 24.1.*, *), tilde (~24.1) and caret (^24.1.0) ranges,
// hyphen ranges (22 - 24) and alternatives joined by ||.
type NodeRange struct {
	text string
	sets [][]comparator // alternatives, each a conjunction; an empty set matches every release
}

type comparator struct {
	op string // <, <=, >, >=, =
	v  NodeVersion
}

func (r *NodeRange) String() string { return r.text }

// partialVersion is a version with some parts left out or wildcards: n is how many
// of major, minor, patch are given.
type partialVersion struct {
	v NodeVersion
	n int
}

var (
	partRE = regexp.MustCompile(`^(?:[vV=]\s*)*(?:(\d+|[xX*])(?:\.(\d+|[xX*])(?:\.(\d+|[xX*])(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?)?(?:\+[0-9A-Za-z-.]+)?$`)
	// An operator followed by spaces: node-semver reads ">= 24" as ">=24".
	opSpaceRE = regexp.MustCompile(`(~>|<=|>=|[<>=~^])\s+`)
	hyphenRE  = regexp.MustCompile(`^(\S+)\s+-\s+(\S+)$`)
)

func parsePartial(s string) (partialVersion, error) {
	m := partRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return partialVersion{}, fmt.Errorf("%q is not a version", s)
	}
	var p partialVersion
	nums := []*int{&p.v.Major, &p.v.Minor, &p.v.Patch}
	for i, part := range m[1:4] {
		if part == "" || part == "x" || part == "X" || part == "*" {
			break
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return partialVersion{}, fmt.Errorf("%q: %q is too large a number", s, part)
		}
		*nums[i] = n
		p.n++
	}
	if m[4] != "" {
		if p.n < 3 {
			return partialVersion{}, fmt.Errorf("%q: a prerelease needs a full version", s)
		}
		p.v.Pre = strings.Split(m[4], ".")
	}
	return p, nil
}

// ParseNodeRange parses a range in npm's syntax. An empty range, like *,
// matches every release.
func ParseNodeRange(s string) (*NodeRange, error) {
	r := &NodeRange{text: strings.TrimSpace(s)}
	for _, alt := range strings.Split(s, "||") {
		set, err := parseSet(strings.TrimSpace(alt))
		if err != nil {
			return nil, fmt.Errorf("%q is not a version range: %w", r.text, err)
		}
		r.sets = append(r.sets, set)
	}
	return r, nil
}

func parseSet(s string) ([]comparator, error) {
	if m := hyphenRE.FindStringSubmatch(s); m != nil {
		lo, err := parsePartial(m[1])
		if err != nil {
			return nil, err
		}
		hi, err := parsePartial(m[2])
		if err != nil {
			return nil, err
		}
		var set []comparator
		if lo.n > 0 {
			set = append(set, comparator{">=", lo.v})
		}
		switch hi.n {
		case 3:
			set = append(set, comparator{"<=", hi.v})
		case 2:
			set = append(set, comparator{"<", floor(hi.v.Major, hi.v.Minor+1, 0)})
		case 1:
			set = append(set, comparator{"<", floor(hi.v.Major+1, 0, 0)})
		}
		return set, nil
	}
	var set []comparator
	for _, f := range strings.Fields(opSpaceRE.ReplaceAllString(s, "$1")) {
		cs, err := parseSimple(f)
		if err != nil {
			return nil, err
		}
		set = append(set, cs...)
	}
	return set, nil
}

// floor is the lowest version of M.m.p, below its prereleases (node-semver's
// M.m.p-0), so that "<2.0.0-0" leaves out 2.0.0's prereleases too.
func floor(major, minor, patch int) NodeVersion {
	return NodeVersion{major, minor, patch, []string{"0"}}
}

func parseSimple(s string) ([]comparator, error) {
	op := ""
	for _, o := range []string{"~>", "<=", ">=", "<", ">", "=", "~", "^"} {
		if strings.HasPrefix(s, o) {
			op, s = o, s[len(o):]
			break
		}
	}
	p, err := parsePartial(s)
	if err != nil {
		return nil, err
	}
	v, n := p.v, p.n
	none := []comparator{{"<", floor(0, 0, 0)}}
	// upper is the bound that ends the x-range of the given parts.
	upper := func() NodeVersion {
		if n == 2 {
			return floor(v.Major, v.Minor+1, 0)
		}
		return floor(v.Major+1, 0, 0)
	}
	switch op {
	case "", "=":
		switch n {
		case 0:
			return nil, nil
		case 3:
			return []comparator{{"=", v}}, nil
		}
		return []comparator{{">=", v}, {"<", upper()}}, nil
	case ">":
		switch n {
		case 0:
			return none, nil
		case 3:
			return []comparator{{">", v}}, nil
		}
		return []comparator{{">=", upper().release()}}, nil
	case ">=":
		if n == 0 {
			return nil, nil
		}
		return []comparator{{">=", v}}, nil
	case "<":
		switch n {
		case 0:
			return none, nil
		case 3:
			return []comparator{{"<", v}}, nil
		}
		return []comparator{{"<", floor(v.Major, v.Minor, 0)}}, nil
	case "<=":
		switch n {
		case 0:
			return nil, nil
		case 3:
			return []comparator{{"<=", v}}, nil
		}
		return []comparator{{"<", upper()}}, nil
	case "~", "~>":
		switch n {
		case 0:
			return nil, nil
		case 1:
			return []comparator{{">=", v}, {"<", floor(v.Major+1, 0, 0)}}, nil
		}
		return []comparator{{">=", v}, {"<", floor(v.Major, v.Minor+1, 0)}}, nil
	case "^":
		var hi NodeVersion
		switch {
		case n == 0:
			return nil, nil
		case v.Major > 0 || n == 1:
			hi = floor(v.Major+1, 0, 0)
		case v.Minor > 0 || n == 2:
			hi = floor(0, v.Minor+1, 0)
		default:
			hi = floor(0, 0, v.Patch+1)
		}
		return []comparator{{">=", v}, {"<", hi}}, nil
	}
	return nil, fmt.Errorf("%q: unknown operator", s)
}

func (c comparator) test(v NodeVersion) bool {
	d := v.Compare(c.v)
	switch c.op {
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	}
	return d == 0
}

// Satisfies reports whether v is in the range, as node-semver's satisfies
// does: a prerelease only where a comparator names a prerelease of the same
// major.minor.patch.
func (r *NodeRange) Satisfies(v NodeVersion) bool {
	for _, set := range r.sets {
		if testSet(set, v) {
			return true
		}
	}
	return false
}

func testSet(set []comparator, v NodeVersion) bool {
	for _, c := range set {
		if !c.test(v) {
			return false
		}
	}
	if len(v.Pre) == 0 {
		return true
	}
	for _, c := range set {
		if len(c.v.Pre) > 0 && c.v.Major == v.Major && c.v.Minor == v.Minor && c.v.Patch == v.Patch {
			return true
		}
	}
	return false
}

// LowestRelease returns the lowest release of the given major in the
// range, if there is one: the question a floating image of that major
// (distroless's nodejs24) answers only by its newest release, unknown here.
func (r *NodeRange) LowestRelease(major int) (NodeVersion, bool) {
	var best NodeVersion
	found := false
	for _, set := range r.sets {
		c := NodeVersion{Major: major}
		ok := true
		for _, cmp := range set {
			var b NodeVersion
			switch cmp.op {
			case ">=":
				b = cmp.v.release()
			case ">":
				b = cmp.v.release()
				if len(cmp.v.Pre) == 0 {
					b.Patch++
				}
			case "=":
				if len(cmp.v.Pre) > 0 {
					ok = false
				}
				b = cmp.v
			default:
				continue
			}
			if b.Compare(c) > 0 {
				c = b
			}
		}
		if ok && c.Major == major && testSet(set, c) && (!found || c.Compare(best) < 0) {
			best, found = c, true
		}
	}
	return best, found
}
