package java

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/langbuild/langbuild/lang"
)

// Watch implements lang.Analyzer: the project's directory, reactor modules
// included, less what Maven writes and what the image does not read. In a
// directory with a pom.xml (the project's or a module's), target/ is an
// input only for what the image is built from: the compiled classes
// (target/classes), Quarkus' packaged application (target/quarkus-app and
// its record, quarkus-artifact.properties) and the jars packaged there (a
// Spring Boot or Quarkus uber-jar built with --jar); src/ is not an input,
// as the image takes what the compiler made of it, but for the extra files
// of src/main/langbuild and src/main/jib. "Compile in your IDE or with mvn
// compile": each compile is a change.
func (a *Analyzer) Watch(dir string, _ lang.Options) (lang.Watch, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return lang.Watch{}, err
	}
	jar := ""
	if a.Jar != "" {
		jar = a.Jar
		if !filepath.IsAbs(jar) {
			jar = filepath.Join(dir, jar)
		}
	}
	skip := func(root, rel string, isDir bool) bool {
		return skipForMaven(root, rel, jar)
	}
	return lang.Watch{Dirs: []string{dir}, Skip: skip}, nil
}

// skipForMaven is Watch's rule for rel, a path below root.
func skipForMaven(root, rel, jar string) bool {
	if jar != "" && filepath.Join(root, filepath.FromSlash(rel)) == jar {
		return false
	}
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		if p != "target" && p != "src" {
			continue
		}
		if !isFile(filepath.Join(root, filepath.FromSlash(path.Join(parts[:i]...)), "pom.xml")) {
			continue
		}
		rest := parts[i+1:]
		if len(rest) == 0 {
			return false // the directory itself, to watch what is kept below it
		}
		if p == "target" {
			switch {
			case rest[0] == "classes", rest[0] == quarkusAppDir, rest[0] == "quarkus-artifact.properties":
				return false
			case len(rest) == 1 && strings.HasSuffix(rest[0], ".jar"):
				return false
			}
			return true
		}
		// src: main, main/langbuild/..., main/jib/...
		if rest[0] != "main" {
			return true
		}
		return len(rest) > 1 && rest[1] != "langbuild" && rest[1] != "jib"
	}
	return false
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}
