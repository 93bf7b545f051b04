package java

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/vifraa/gopom"
)

// activeProfiles evaluates the activation of the pom's profiles the way Maven
// would on this machine: jdk (against the JDK's version), os, properties
// (system properties; no -D user properties), files, and activeByDefault when
// no other is active. A profile that would change dependencies or properties
// but whose activation cannot be evaluated is recorded as unsupported, so
// the caller can let Maven resolve instead.
func (l *loader) activeProfiles(r *raw, dir string) (profiles []gopom.Profile, unsupported []string, err error) {
	if r.p.Profiles == nil {
		return nil, nil, nil
	}
	var active, byDefault []gopom.Profile
	for _, pr := range *r.p.Profiles {
		a := pr.Activation
		if a == nil {
			continue
		}
		relevant := pr.Dependencies != nil || pr.DependencyManagement != nil || pr.Properties != nil
		on, known := l.evalActivation(a, dir)
		if !known {
			if relevant {
				unsupported = append(unsupported, "profile "+str(pr.ID)+" in "+r.file)
			}
			continue
		}
		if on {
			active = append(active, pr)
		} else if a.ActiveByDefault != nil && *a.ActiveByDefault && a.JDK == nil && a.OS == nil && a.Property == nil && a.File == nil {
			byDefault = append(byDefault, pr)
		}
	}
	if len(active) == 0 {
		return byDefault, unsupported, nil
	}
	return active, unsupported, nil
}

// evalActivation: all given conditions must hold (Maven 3.2+).
func (l *loader) evalActivation(a *gopom.Activation, dir string) (active, known bool) {
	conds := 0
	ok := true
	if a.JDK != nil {
		conds++
		v, k := jdkMatches(str(a.JDK), l.sys["java.version"])
		if !k {
			return false, false
		}
		ok = ok && v
	}
	if a.OS != nil {
		conds++
		v, k := l.osMatches(a.OS)
		if !k {
			return false, false
		}
		ok = ok && v
	}
	if a.Property != nil {
		conds++
		name, val := str(a.Property.Name), str(a.Property.Value)
		neg := strings.HasPrefix(name, "!")
		name = strings.TrimPrefix(name, "!")
		got, set := l.sys[name]
		var v bool
		switch {
		case val == "":
			v = set != neg
		case strings.HasPrefix(val, "!"):
			v = got != val[1:]
		default:
			v = set && got == val
		}
		ok = ok && v
	}
	if a.File != nil {
		conds++
		exists, missing := str(a.File.Exists), str(a.File.Missing)
		known := true
		resolve := func(p string) string {
			p = strings.NewReplacer("${basedir}", dir, "${project.basedir}", dir).Replace(p)
			p = placeholder.ReplaceAllStringFunc(p, func(ph string) string {
				if v, ok := l.sys[ph[2:len(ph)-1]]; ok {
					return v
				}
				known = false
				return ph
			})
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			return p
		}
		resolve(exists)
		resolve(missing)
		if !known {
			return false, false
		}
		if exists != "" {
			_, err := os.Stat(resolve(exists))
			ok = ok && err == nil
		}
		if missing != "" {
			_, err := os.Stat(resolve(missing))
			ok = ok && err != nil
		}
	}
	if conds == 0 {
		return false, true // only activeByDefault (handled by the caller), or nothing
	}
	return ok, true
}

// osMatches evaluates an os activation as Maven does (plexus-utils' Os):
// the family is a known family (unix, windows, mac...) or else a part of
// os.name; name, arch and version equal os.name, os.arch and os.version,
// ignoring case; a leading "!" negates. known is false when a version is
// asked for and os.version is not given.
func (l *loader) osMatches(o *gopom.ActivationOS) (active, known bool) {
	name := strings.ToLower(or(l.sys["os.name"], "Linux"))
	arch := strings.ToLower(or(l.sys["os.arch"], "amd64"))
	test := func(want string, match func(string) bool) bool {
		want = strings.ToLower(want)
		neg := strings.HasPrefix(want, "!")
		return match(strings.TrimPrefix(want, "!")) != neg
	}
	equal := func(have string) func(string) bool {
		return func(w string) bool { return w == have }
	}
	family := func(f string) bool {
		switch f {
		case "windows", "os/2", "netware", "mac", "os/400", "openvms":
			return strings.Contains(name, f)
		case "tandem":
			return strings.Contains(name, "nonstop_kernel")
		case "z/os":
			return strings.Contains(name, "z/os") || strings.Contains(name, "os/390")
		case "dos", "win9x":
			return false // ';' path separators and Windows only
		case "unix":
			return !strings.Contains(name, "openvms") && (!strings.Contains(name, "mac") || strings.HasSuffix(name, "x"))
		}
		return strings.Contains(name, f)
	}
	ok := true
	if f := str(o.Family); f != "" {
		ok = ok && test(f, family)
	}
	if n := str(o.Name); n != "" {
		ok = ok && test(n, equal(name))
	}
	if a := str(o.Arch); a != "" {
		ok = ok && test(a, equal(arch))
	}
	if v := str(o.Version); v != "" {
		have, set := l.sys["os.version"]
		if !set {
			return false, false
		}
		if re, isRe := strings.CutPrefix(v, "regex:"); isRe {
			m, err := regexp.MatchString("^(?:"+re+")$", strings.ToLower(have))
			ok = ok && err == nil && m
		} else {
			ok = ok && test(v, equal(strings.ToLower(have)))
		}
	}
	return ok, true
}

// jdkMatches evaluates a jdk activation: a prefix ("17", "1.8", "!1.8") or a
// range ("[11,)", "(,1.8]", "[1.8,17)").
func jdkMatches(spec, version string) (bool, bool) {
	if version == "" {
		return false, false
	}
	if strings.HasPrefix(spec, "!") {
		v, k := jdkMatches(spec[1:], version)
		return !v, k
	}
	if !strings.ContainsAny(spec, "[(") {
		return strings.HasPrefix(version, spec), true
	}
	for _, r := range strings.Split(spec, "),") {
		if !strings.HasSuffix(r, ")") && !strings.HasSuffix(r, "]") {
			r += ")"
		}
		if len(r) < 3 {
			return false, false
		}
		lo, hi, ok := strings.Cut(r[1:len(r)-1], ",")
		if !ok {
			return false, false
		}
		inLo, inHi := r[0] == '[', r[len(r)-1] == ']'
		in := true
		if lo != "" {
			c := compareJava(version, lo)
			in = in && (c > 0 || (inLo && c == 0))
		}
		if hi != "" {
			c := compareJava(version, hi)
			in = in && (c < 0 || (inHi && c == 0))
		}
		if in {
			return true, true
		}
	}
	return false, true
}

func compareJava(a, b string) int {
	pa, pb := javaParts(a), javaParts(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// javaParts: "1.8.0_292" -> 1 8 0 292; "17.0.15" -> 17 0 15.
func javaParts(v string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			break
		}
		out = append(out, n)
	}
	return out
}
