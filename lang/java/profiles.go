package java

import (
	"os"
	"path/filepath"
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
		ok = ok && osMatches(a.OS)
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

func osMatches(o *gopom.ActivationOS) bool {
	test := func(want, have string, alias ...string) bool {
		if want == "" {
			return true
		}
		neg := strings.HasPrefix(want, "!")
		want = strings.ToLower(strings.TrimPrefix(want, "!"))
		m := want == have
		for _, a := range alias {
			m = m || want == a
		}
		return m != neg
	}
	return test(str(o.Family), "unix") && test(str(o.Name), "linux") &&
		test(str(o.Arch), "amd64", "x86_64") && str(o.Version) == ""
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
