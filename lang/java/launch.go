package java

import (
	"bytes"
	"path"
	"sort"
	"strings"

	"github.com/langbuild/langbuild/layering"
)

// Launch settings as Maven would run the application, read from the pom:
// the program arguments exec-maven-plugin's java goal passes, and the
// manifest entries the jar plugin (or the shade plugin's manifest
// transformer) writes, which launchers such as Vert.x's io.vertx.core.Launcher
// read (Main-Verticle) from the classpath.

// confs lists the configurations of the pom's plugins with this artifactId
// (the plugin's own, then its executions'), nearest pom first.
func confs(m *Model, artifactID string) []*Node {
	var out []*Node
	for _, pl := range m.Plugins {
		if pl.text("artifactId") != artifactID {
			continue
		}
		for _, c := range append([]*Node{pl.child("configuration")}, pl.children("executions", "execution", "configuration")...) {
			if c != nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// expander replaces ${property} with the model's properties.
func expander(m *Model) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, "${") {
			return s
		}
		return placeholder.ReplaceAllStringFunc(s, func(ph string) string {
			if v, ok := m.Properties[ph[2:len(ph)-1]]; ok {
				return v
			}
			return ph
		})
	}
}

// pomArgs is the program's arguments as exec-maven-plugin's java goal
// passes them: <arguments> (each <argument>) or <commandlineArgs> (split
// at spaces, double quotes grouping), from the configuration that names a
// <mainClass>. A configuration for the exec goal (an <executable>) runs
// another program, and its arguments are that program's.
func pomArgs(m *Model) []string {
	expand := expander(m)
	for _, c := range confs(m, "exec-maven-plugin") {
		if c.text("executable") != "" || c.text("mainClass") == "" {
			continue
		}
		var args []string
		for _, a := range c.children("arguments", "argument") {
			args = append(args, expand(strings.TrimSpace(a.Text)))
		}
		if len(args) == 0 {
			args = splitArgs(expand(c.text("commandlineArgs")))
		}
		if len(args) > 0 {
			return args
		}
	}
	return nil
}

// splitArgs splits a command line at spaces; double quotes group.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case !quoted && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			if any {
				out = append(out, cur.String())
				cur.Reset()
				any = false
			}
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}

// pomManifest is the main attributes the project's jar manifest would
// have: the jar plugin's archive <manifest><mainClass> as Main-Class and
// its <manifestEntries>, or the shade plugin's manifest transformer's, in
// the pom's order. Values with unknown properties are left out.
func pomManifest(m *Model) [][2]string {
	expand := expander(m)
	var out [][2]string
	seen := map[string]bool{}
	add := func(k, v string) {
		v = expand(strings.TrimSpace(v))
		if k == "" || v == "" || strings.Contains(v, "${") || seen[strings.ToLower(k)] {
			return
		}
		seen[strings.ToLower(k)] = true
		out = append(out, [2]string{k, v})
	}
	var archives []*Node
	for _, c := range confs(m, "maven-jar-plugin") {
		archives = append(archives, c.child("archive"))
	}
	for _, c := range confs(m, "maven-shade-plugin") {
		archives = append(archives, c.children("transformers", "transformer")...)
	}
	for _, a := range archives {
		if a == nil {
			continue
		}
		add("Main-Class", a.text("manifest", "mainClass"))
		add("Main-Class", a.text("mainClass")) // the shade transformer's
		for _, e := range a.children("manifestEntries") {
			for _, kv := range e.Kids {
				add(kv.Name, kv.Text)
			}
		}
	}
	return out
}

// manifestFile writes main attributes as a MANIFEST.MF: "Name: value"
// lines of at most 72 bytes, longer ones continued on lines that start
// with a space.
func manifestFile(attrs [][2]string) []byte {
	var b bytes.Buffer
	line := func(s string) {
		for len(s) > 72 {
			b.WriteString(s[:72] + "\r\n")
			s = " " + s[72:]
		}
		b.WriteString(s + "\r\n")
	}
	line("Manifest-Version: 1.0")
	for _, kv := range attrs {
		line(kv[0] + ": " + kv[1])
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// withManifest puts the pom's manifest attributes on the classpath, as
// /app/resources/META-INF/MANIFEST.MF, unless the project's resources have
// a manifest of their own.
func withManifest(resources []layering.Entry, attrs [][2]string) []layering.Entry {
	if len(attrs) == 0 {
		return resources
	}
	mf := path.Join(ResourcesDir, "META-INF", "MANIFEST.MF")
	for _, e := range resources {
		if e.Path == mf {
			return resources
		}
	}
	out := append(append([]layering.Entry{}, resources...), layering.Entry{Path: mf, Type: layering.TypeFile, Data: manifestFile(attrs)})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
