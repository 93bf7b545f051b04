package java

import (
	"encoding/xml"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// Maven's version ordering (maven-resolver's generic version scheme):
// a version is a list of items split at '.', '-' and '_' and where digits
// meet letters; numbers compare as numbers, the qualifiers alpha < beta <
// milestone < rc = cr < snapshot < "" = ga = final = release < sp, other
// words alphabetically (above the known qualifiers, below numbers), and
// trailing zeros or "ga"s are padding ("1.0" = "1" = "1-ga").

type vkind int

const (
	kMin vkind = iota
	_
	kQualifier
	kString
	kInt
	_
	_
	_
	kMax
)

type vitem struct {
	kind vkind
	num  *big.Int // kInt
	q    int      // kQualifier
	s    string   // kString
}

func (it vitem) isNumber() bool { return it.kind == kInt || it.kind == kMin || it.kind == kMax }

var qualifiers = map[string]int{
	"alpha": -5, "beta": -4, "milestone": -3, "cr": -2, "rc": -2, "snapshot": -1,
	"ga": 0, "final": 0, "release": 0, "": 0, "sp": 1,
}

// cmpPad compares an item with the padding (0 or "ga").
func (it vitem) cmpPad() int {
	switch it.kind {
	case kMin:
		return -1
	case kMax, kString:
		return 1
	case kQualifier:
		return sign(it.q)
	}
	return it.num.Sign()
}

func (it vitem) cmp(o vitem) int {
	if it.kind != o.kind {
		return sign(int(it.kind) - int(o.kind))
	}
	switch it.kind {
	case kInt:
		return it.num.Cmp(o.num)
	case kQualifier:
		return sign(it.q - o.q)
	case kString:
		return strings.Compare(it.s, o.s)
	}
	return 0
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// parseVersion splits a version into items.
func parseVersion(v string) []vitem {
	if v == "" {
		v = "0"
	}
	var items []vitem
	rs := []rune(v)
	i := 0
	for i < len(rs) {
		start, end := i, len(rs)
		state := -2 // -2 nothing yet, -1 letters, 0 leading zeros, 1 digits
		byNumber := false
		for ; i < len(rs); i++ {
			c := rs[i]
			if c == '.' || c == '-' || c == '_' {
				end = i
				i++
				break
			}
			if unicode.IsDigit(c) {
				if state == -1 {
					end = i
					byNumber = true
					break
				}
				if state == 0 {
					start++
				}
				if state > 0 || c != '0' {
					state = 1
				} else {
					state = 0
				}
			} else {
				if state >= 0 {
					end = i
					break
				}
				state = -1
			}
		}
		tok, number := "0", true
		if end > start {
			tok, number = string(rs[start:end]), state >= 0
		}
		items = append(items, toItem(tok, number, byNumber, i >= len(rs)))
	}
	// Trim padding: trailing zero numbers and trailing "ga"-like qualifiers
	// at the end of each run of one kind.
	var number *bool
	end := len(items) - 1
	for i := end; i > 0; i-- {
		it := items[i]
		n := it.isNumber()
		if number == nil || *number != n {
			end = i
			number = &n
		}
		if end == i && (i == len(items)-1 || items[i-1].isNumber() == n) && it.cmpPad() == 0 {
			items = append(items[:i], items[i+1:]...)
			end--
		}
	}
	return items
}

func toItem(tok string, number, byNumber, last bool) vitem {
	if number {
		n, _ := new(big.Int).SetString(tok, 10)
		if n == nil {
			n = new(big.Int)
		}
		return vitem{kind: kInt, num: n}
	}
	low := strings.ToLower(tok)
	if last {
		switch low {
		case "min":
			return vitem{kind: kMin}
		case "max":
			return vitem{kind: kMax}
		}
	}
	if byNumber && len(low) == 1 {
		switch low {
		case "a":
			return vitem{kind: kQualifier, q: -5}
		case "b":
			return vitem{kind: kQualifier, q: -4}
		case "m":
			return vitem{kind: kQualifier, q: -3}
		}
	}
	if q, ok := qualifiers[low]; ok {
		return vitem{kind: kQualifier, q: q}
	}
	return vitem{kind: kString, s: low}
}

// compareVersions orders two Maven versions.
func compareVersions(a, b string) int {
	x, y := parseVersion(a), parseVersion(b)
	number := true
	for i := 0; ; i++ {
		switch {
		case i >= len(x) && i >= len(y):
			return 0
		case i >= len(x):
			return -comparePadding(y, i, nil)
		case i >= len(y):
			return comparePadding(x, i, nil)
		}
		if x[i].isNumber() != y[i].isNumber() {
			if number == x[i].isNumber() {
				return comparePadding(x, i, &number)
			}
			return -comparePadding(y, i, &number)
		}
		if c := x[i].cmp(y[i]); c != 0 {
			return c
		}
		number = x[i].isNumber()
	}
}

func comparePadding(items []vitem, from int, number *bool) int {
	for _, it := range items[from:] {
		if number != nil && *number != it.isNumber() {
			continue
		}
		if c := it.cmpPad(); c != 0 {
			return c
		}
	}
	return 0
}

// versionRange is one interval of a Maven version range; an empty bound is
// unbounded.
type versionRange struct {
	lo, hi     string
	loIn, hiIn bool
}

func (r versionRange) contains(v string) bool {
	if r.lo != "" {
		c := compareVersions(v, r.lo)
		if c < 0 || c == 0 && !r.loIn {
			return false
		}
	}
	if r.hi != "" {
		c := compareVersions(v, r.hi)
		if c > 0 || c == 0 && !r.hiIn {
			return false
		}
	}
	return true
}

// parseRange reads "[1.0,2.0)", "[1.0]", "(,1.0],[1.2,)" and the like.
func parseRange(spec string) ([]versionRange, error) {
	var out []versionRange
	s := strings.TrimSpace(spec)
	for s != "" {
		if s[0] != '[' && s[0] != '(' {
			return nil, fmt.Errorf("version range %q: expected [ or ( at %q", spec, s)
		}
		end := strings.IndexAny(s, "])")
		if end < 0 {
			return nil, fmt.Errorf("version range %q is not closed", spec)
		}
		body := s[1:end]
		r := versionRange{loIn: s[0] == '[', hiIn: s[end] == ']'}
		if lo, hi, ok := strings.Cut(body, ","); ok {
			r.lo, r.hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
			if strings.Contains(hi, ",") {
				return nil, fmt.Errorf("version range %q: more than two bounds in %q", spec, body)
			}
		} else {
			if !r.loIn || !r.hiIn {
				return nil, fmt.Errorf("version range %q: a single version must be in [ ]", spec)
			}
			r.lo, r.hi = strings.TrimSpace(body), strings.TrimSpace(body)
		}
		out = append(out, r)
		s = strings.TrimSpace(s[end+1:])
		s = strings.TrimSpace(strings.TrimPrefix(s, ","))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty version range %q", spec)
	}
	return out, nil
}

func inRanges(rs []versionRange, v string) bool {
	for _, r := range rs {
		if r.contains(v) {
			return true
		}
	}
	return false
}

// availableVersions lists the versions of g:a the local repository knows
// of: those in the maven-metadata files Maven downloaded from each
// repository (maven-metadata-ID.xml) or wrote when installing
// (maven-metadata-local.xml). It reports the files read.
func (l *loader) availableVersions(g, a string) ([]string, []string, error) {
	dir := filepath.Join(l.repo, filepath.FromSlash(strings.ReplaceAll(g, ".", "/")), a)
	files, _ := filepath.Glob(filepath.Join(dir, "maven-metadata*.xml"))
	sort.Strings(files)
	seen := map[string]bool{}
	var versions []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, files, err
		}
		var md struct {
			Versions []string `xml:"versioning>versions>version"`
		}
		if err := xml.Unmarshal(b, &md); err != nil {
			return nil, files, fmt.Errorf("%s: %v", f, err)
		}
		for _, v := range md.Versions {
			v = strings.TrimSpace(v)
			if v != "" && !seen[v] {
				seen[v] = true
				versions = append(versions, v)
			}
		}
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("versions of %s:%s (no maven-metadata.xml in %s): %w", g, a, dir, ErrMissing)
	}
	return versions, files, nil
}

// resolveRange picks the highest version in the range, as Maven does when
// a range is not constrained further.
func (l *loader) resolveRange(g, a, spec string) (string, []string, error) {
	rs, err := parseRange(spec)
	if err != nil {
		return "", nil, err
	}
	versions, files, err := l.availableVersions(g, a)
	if err != nil {
		return "", files, err
	}
	best := ""
	for _, v := range versions {
		if inRanges(rs, v) && (best == "" || compareVersions(v, best) > 0) {
			best = v
		}
	}
	if best == "" {
		return "", files, fmt.Errorf("no version of %s:%s in %s among %s: %w", g, a, spec, strings.Join(versions, ", "), ErrMissing)
	}
	return best, files, nil
}
