package java

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/langbuild/langbuild/lang"
)

// settings gives an analysis of the project in dir its options: the
// analyzer's own, with what they leave out taken from the environment the
// analyzer is given (never the process's: only cmd reads that). Maven's
// settings and the JDK are looked for only here, in a Java build.
func (a *Analyzer) settings(dir string, lo lang.Options) settings {
	s := settings{Options: lo, own: a.Options}
	home := lang.Getenv(lo.Env, "HOME")
	if s.MavenRepo == "" {
		mavenHome := lang.Getenv(lo.Env, "MAVEN_HOME")
		if mavenHome == "" {
			if p := lookPath(lo.Env, "mvn"); p != "" {
				if r, err := filepath.EvalSymlinks(p); err == nil {
					mavenHome = filepath.Dir(filepath.Dir(r))
				}
			}
		}
		if home != "" || mavenHome != "" {
			s.MavenRepo = LocalRepository(home, mavenHome)
		}
	}
	if s.JavaSysProps == nil {
		s.JavaSysProps = sysProps(lo.Env, home)
	}
	s.classpath = splitClasspath(a.Classpath, dir)
	return s
}

// sysProps are the system properties Maven's profile activation would see:
// the version of the JDK the environment names (read from its release file,
// without starting a JVM), its home, the user's home, and the OS.
func sysProps(env []string, home string) map[string]string {
	props := map[string]string{"os.name": "Linux", "os.arch": "amd64"}
	if home != "" {
		props["user.home"] = home
	}
	javaBin := ""
	if jh := lang.Getenv(env, "JAVA_HOME"); jh != "" {
		javaBin = filepath.Join(jh, "bin", "java")
	} else {
		javaBin = lookPath(env, "java")
	}
	if javaBin == "" {
		return props
	}
	r, err := filepath.EvalSymlinks(javaBin)
	if err != nil {
		return props
	}
	jdk := filepath.Dir(filepath.Dir(r))
	props["java.home"] = jdk
	if b, err := os.ReadFile(filepath.Join(jdk, "release")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "JAVA_VERSION="); ok {
				props["java.version"] = strings.Trim(v, "\"")
			}
		}
	}
	return props
}

// lookPath finds an executable named name in the PATH of env, or "".
func lookPath(env []string, name string) string {
	for _, d := range filepath.SplitList(lang.Getenv(env, "PATH")) {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// splitClasspath splits a classpath given as text, relative entries taken
// from dir.
func splitClasspath(cp, dir string) []string {
	if cp == "" {
		return nil
	}
	var out []string
	for _, p := range filepath.SplitList(cp) {
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out = append(out, p)
	}
	return out
}
