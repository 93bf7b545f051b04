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

// jdkMatches evaluates a jdk activation as Maven 3.9's
// JdkVersionProfileActivator does: "!1.8" and "17" are prefixes of
// java.version; "[11,)", "(,1.8]" or "[9" are a range of two bounds, each
// compared on its first three numbers (a bound left open is unbounded; a
// missing upper bound is 99999999). known is false without java.version.
func jdkMatches(spec, version string) (active, known bool) {
	if version == "" {
		return false, false
	}
	if neg, ok := strings.CutPrefix(spec, "!"); ok {
		return !strings.HasPrefix(version, neg), true
	}
	if !strings.HasPrefix(spec, "[") && !strings.HasPrefix(spec, "(") {
		return strings.HasPrefix(version, spec), true
	}
	type bound struct {
		v      string
		closed bool
	}
	tokens := strings.Split(spec, ",")
	for len(tokens) > 0 && tokens[len(tokens)-1] == "" {
		tokens = tokens[:len(tokens)-1] // as Java's split drops them
	}
	var bs []bound
	for _, t := range tokens {
		switch {
		case strings.HasPrefix(t, "["):
			bs = append(bs, bound{strings.TrimSpace(strings.ReplaceAll(t, "[", "")), true})
		case strings.HasPrefix(t, "("):
			bs = append(bs, bound{strings.TrimSpace(strings.ReplaceAll(t, "(", "")), false})
		case strings.HasSuffix(t, "]"):
			bs = append(bs, bound{strings.TrimSpace(strings.ReplaceAll(t, "]", "")), true})
		case strings.HasSuffix(t, ")"):
			bs = append(bs, bound{strings.TrimSpace(strings.ReplaceAll(t, ")", "")), false})
		case t == "":
			bs = append(bs, bound{"", false})
		}
	}
	if len(bs) < 2 {
		bs = append(bs, bound{"99999999", false})
	}
	// relation orders the version against a bound: -1 below, 0 on a
	// closed bound, 1 above; an error is a number Maven cannot parse.
	relation := func(b bound, left bool) (int, error) {
		if b.v == "" {
			if left {
				return 1, nil
			}
			return -1, nil
		}
		clean := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
				return r
			}
			return -1
		}, version)
		vs := strings.FieldsFunc(clean, func(r rune) bool { return r == '.' || r == '_' || r == '-' })
		rs := strings.Split(b.v, ".")
		for len(vs) < 3 {
			vs = append(vs, "0")
		}
		for len(rs) < 3 {
			rs = append(rs, "0")
		}
		for i := 0; i < 3; i++ {
			x, err := strconv.Atoi(vs[i])
			if err != nil {
				return 0, err
			}
			y, err := strconv.Atoi(rs[i])
			if err != nil {
				return 0, err
			}
			if x != y {
				return sign(x - y), nil
			}
		}
		if !b.closed {
			if left {
				return -1, nil
			}
			return 1, nil
		}
		return 0, nil
	}
	l, err := relation(bs[0], true)
	if err != nil || l < 0 {
		return false, true
	}
	if l == 0 {
		return true, true
	}
	r, err := relation(bs[1], false)
	return err == nil && r <= 0, true
}
