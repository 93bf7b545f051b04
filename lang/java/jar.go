package java

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/langbuild/langbuild/layering"
)

// analyzeJar plans an image from a built jar: a Spring Boot fat jar as
// bootPlan lays it out (its own layers and launcher when it has a layers
// index); a plain jar runs with `java -jar`, the jars its Class-Path names
// beside it.
func analyzeJar(jarPath string, opts settings) (*layering.Plan, error) {
	zr, err := zip.OpenReader(jarPath)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w: is it a jar?", jarPath, err)
	}
	defer zr.Close()
	mf, err := readManifest(&zr.Reader)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", jarPath, err)
	}
	sum, err := fileHash(jarPath)
	if err != nil {
		return nil, err
	}
	work := opts.WorkDir
	if work == "" {
		work = os.TempDir()
	}
	dir, err := unzipOnce(&zr.Reader, filepath.Join(work, "java", "jars", sum[:32]))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", jarPath, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "BOOT-INF")); err == nil {
		return bootPlan(jarPath, &zr.Reader, dir, mf, opts)
	}
	return plainJarPlan(jarPath, mf, opts)
}

func plainJarPlan(jarPath string, mf map[string]string, opts settings) (*layering.Plan, error) {
	name := filepath.Base(jarPath)
	var deps []layering.Entry
	for _, rel := range strings.Fields(mf["Class-Path"]) {
		if strings.Contains(rel, "://") || strings.HasPrefix(rel, "/") || strings.Contains(rel, "..") {
			return nil, fmt.Errorf("%s: Class-Path entry %q is not a path below the jar's directory", jarPath, rel)
		}
		src := filepath.Join(filepath.Dir(jarPath), filepath.FromSlash(rel))
		if _, err := os.Stat(src); err != nil {
			return nil, fmt.Errorf("%s: Class-Path names %s, which is missing", jarPath, src)
		}
		deps = append(deps, layering.Entry{Path: path.Join(AppRoot, rel), Type: layering.TypeFile, Source: src})
	}
	entry := append([]string{"java"}, opts.JVMFlags...)
	switch {
	case opts.MainClass != "":
		entry = append(entry, "-cp", AppRoot+"/"+name, opts.MainClass)
		for _, d := range deps {
			entry[len(entry)-2] += ":" + d.Path
		}
	case mf["Main-Class"] != "":
		entry = append(entry, "-jar", AppRoot+"/"+name)
	default:
		return nil, fmt.Errorf("%s: no Main-Class in its manifest: give --main-class", jarPath)
	}
	return &layering.Plan{
		Layers: []layering.Layer{
			{Name: "dependencies", Entries: deps},
			{Name: "application jar", Entries: []layering.Entry{{Path: AppRoot + "/" + name, Type: layering.TypeFile, Source: jarPath}}},
		},
		Config: layering.Config{Entrypoint: entry, User: "65532", WorkingDir: AppRoot},
	}, nil
}

// readManifest parses META-INF/MANIFEST.MF's main section (72-byte lines,
// continuations start with a space).
func readManifest(zr *zip.Reader) (map[string]string, error) {
	f, err := zr.Open("META-INF/MANIFEST.MF")
	if err != nil {
		return nil, fmt.Errorf("no META-INF/MANIFEST.MF")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	out := map[string]string{}
	var last string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case line == "":
			return out, nil // end of the main section
		case line[0] == ' ':
			if last == "" {
				return nil, fmt.Errorf("MANIFEST.MF:%d: continuation line without a header", n)
			}
			out[last] += line[1:]
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("MANIFEST.MF:%d: not a header: %q", n, line)
			}
			last = strings.TrimSpace(k)
			out[last] = strings.TrimSpace(v)
		}
	}
	return out, sc.Err()
}

// unzipOnce extracts the archive into dir unless an earlier build did; it
// unpacks into a temp directory and renames it, so a killed build leaves no
// half-extracted tree. Entries that would leave dir are refused.
func unzipOnce(zr *zip.Reader, dir string) (string, error) {
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for _, f := range zr.File {
		for _, part := range strings.FieldsFunc(f.Name, func(r rune) bool { return r == '/' || r == '\\' }) {
			if part == ".." {
				return "", fmt.Errorf("entry %q leaves the jar's root", f.Name)
			}
		}
		name := path.Clean("/" + f.Name)
		dst := filepath.Join(tmp, filepath.FromSlash(name))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		rc, err := f.Open()
		if err != nil {
			return "", fmt.Errorf("entry %s: %w", f.Name, err)
		}
		err = writeTo(dst, rc)
		rc.Close()
		if err != nil {
			return "", fmt.Errorf("entry %s: %w", f.Name, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(dir); serr != nil {
			return "", err
		}
	}
	return dir, nil
}

func writeTo(dst string, r io.Reader) error {
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
