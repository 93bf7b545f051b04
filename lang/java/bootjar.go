package java

import (
	"archive/zip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

// bootLayer is one layer of a Spring Boot jar's layers.idx: its name and
// the jar entries it holds, a name ending in / holding all below it.
type bootLayer struct {
	name     string
	includes []string
}

// bootPlan plans an image from a Spring Boot fat jar extracted into dir.
// With a layers index (Boot 2.3 and later, unless layering is off) the
// jar's own layers become the image's; without one, or when --main-class
// names the class to run, the jar runs exploded as before.
func bootPlan(jarPath string, zr *zip.Reader, dir string, mf map[string]string, opts settings) (*layering.Plan, error) {
	idx := mf["Spring-Boot-Layers-Index"]
	if idx == "" {
		idx = "BOOT-INF/layers.idx"
	}
	idx = strings.TrimPrefix(path.Clean("/"+idx), "/")
	layers, err := readLayersIdx(filepath.Join(dir, filepath.FromSlash(idx)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return explodedBootPlan(jarPath, dir, mf, nil, opts)
	case err != nil:
		return nil, fmt.Errorf("%s: %s: %w", jarPath, idx, err)
	case opts.MainClass != "":
		return explodedBootPlan(jarPath, dir, mf, layers, opts)
	}
	return layeredBootPlan(jarPath, zr, dir, idx, mf, layers, opts)
}

// layeredBootPlan lays the jar out as Spring Boot's own
// `java -Djarmode=tools -jar app.jar extract --layers --launcher` does
// (`-Djarmode=layertools ... extract` before Boot 3.3), the layout Boot's
// documentation gives for Dockerfiles: each layer of layers.idx, in the
// file's order, is one image layer holding its entries at their place in
// the jar below /app. Boot's launcher (the jar's Main-Class: JarLauncher,
// in org.springframework.boot.loader.launch since Boot 3.2 and in
// org.springframework.boot.loader before) then runs the app from that
// directory, with the classpath of BOOT-INF/classpath.idx and Start-Class
// from the manifest, as the issue asks: the image runs the jar as Boot
// runs it, and a new build of the app changes only its application layer.
func layeredBootPlan(jarPath string, zr *zip.Reader, dir, idx string, mf map[string]string, layers []bootLayer, opts settings) (*layering.Plan, error) {
	launcher := mf["Main-Class"]
	if launcher == "" {
		return nil, fmt.Errorf("%s: a Spring Boot jar without Main-Class (its launcher) in its manifest", jarPath)
	}
	if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(launcher, ".", "/")+".class"))); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: Main-Class %s, Spring Boot's launcher, is not in the jar: give --main-class to run the app without it", jarPath, launcher)
	}
	// The layer that holds the index itself is the application's, as Boot
	// names it; the others change rarely.
	app := layerOf(layers, idx)
	out := make([]layering.Layer, len(layers))
	for i, l := range layers {
		out[i] = layering.Layer{Name: l.name, Stable: i != app}
	}
	seen := map[string]bool{}
	for _, f := range zr.File {
		// The names unzipOnce extracted the entries to: it refused any
		// with a .. element.
		name := strings.TrimPrefix(path.Clean("/"+f.Name), "/")
		if f.FileInfo().IsDir() || name == "" || seen[name] {
			continue
		}
		seen[name] = true
		i := layerOf(layers, name)
		if i < 0 {
			return nil, fmt.Errorf("%s: %s is in no layer of its layers index", jarPath, f.Name)
		}
		out[i].Entries = append(out[i].Entries, layering.Entry{
			Path:   AppRoot + "/" + name,
			Type:   layering.TypeFile,
			Source: filepath.Join(dir, filepath.FromSlash(name)),
		})
	}
	// The class path is named rather than left to the working directory,
	// so a CLASSPATH the base sets cannot hide the launcher.
	entry := append(append([]string{"java"}, opts.JVMFlags...), "-cp", AppRoot, launcher)
	return &layering.Plan{
		Layers: out,
		Config: layering.Config{Entrypoint: entry, User: "65532", WorkingDir: AppRoot},
	}, nil
}

// explodedBootPlan runs the jar without its launcher: BOOT-INF/lib as
// dependency layers (snapshots as layers.idx says, when there is one, else
// by their name), BOOT-INF/classes as resources and classes, in
// BOOT-INF/classpath.idx order, with Start-Class or --main-class as the
// main class.
func explodedBootPlan(jarPath, dir string, mf map[string]string, layers []bootLayer, opts settings) (*layering.Plan, error) {
	main := opts.MainClass
	if main == "" {
		main = mf["Start-Class"]
	}
	if main == "" {
		return nil, fmt.Errorf("%s: a Spring Boot jar without Start-Class in its manifest: give --main-class", jarPath)
	}
	libDir := filepath.Join(dir, "BOOT-INF", "lib")
	var libs []string
	if b, err := os.ReadFile(filepath.Join(dir, "BOOT-INF", "classpath.idx")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.Trim(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "-")), `"`)
			if l != "" {
				libs = append(libs, path.Base(l))
			}
		}
	} else {
		ents, _ := os.ReadDir(libDir)
		for _, e := range ents {
			libs = append(libs, e.Name())
		}
		sort.Strings(libs)
	}
	snapshot := func(lib string) bool {
		if layers == nil {
			return strings.Contains(lib, "-SNAPSHOT")
		}
		i := layerOf(layers, "BOOT-INF/lib/"+lib)
		return i >= 0 && layers[i].name == "snapshot-dependencies"
	}
	var release, snaps []layering.Entry
	var cp []string
	for _, l := range libs {
		e := layering.Entry{Path: LibsDir + "/" + l, Type: layering.TypeFile, Source: filepath.Join(libDir, l)}
		if _, err := os.Stat(e.Source); err != nil {
			return nil, fmt.Errorf("%s: classpath.idx names %s, which BOOT-INF/lib lacks", jarPath, l)
		}
		if snapshot(l) {
			snaps = append(snaps, e)
		} else {
			release = append(release, e)
		}
		cp = append(cp, e.Path)
	}
	resources, classes, _, err := scanClasses(filepath.Join(dir, "BOOT-INF", "classes"), false, lang.Links{Root: dir})
	if err != nil {
		return nil, err
	}
	cpString := strings.Join(append([]string{ResourcesDir, ClassesDir}, cp...), ":")
	return &layering.Plan{
		Layers: []layering.Layer{
			{Name: "dependencies", Entries: release, Stable: true},
			{Name: "snapshot dependencies", Entries: snaps, Stable: true},
			{Name: "resources", Entries: resources},
			{Name: "classes", Entries: classes},
			{Name: "jvm arg files", Entries: []layering.Entry{{Path: ClasspathFile, Type: layering.TypeFile, Data: []byte(cpString + "\n")}}},
		},
		Config: layering.Config{
			Entrypoint: append(append([]string{"java"}, opts.JVMFlags...), "-cp", "@"+ClasspathFile, main),
			User:       "65532",
			WorkingDir: AppRoot,
		},
	}, nil
}

// readLayersIdx parses Spring Boot's layers.idx as Boot's IndexedLayers
// does: `- "layer":` starts a layer, `  - "entry"` adds to it, blank lines
// are skipped, and anything else is an error naming the line.
func readLayersIdx(p string) ([]bootLayer, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var out []bootLayer
	for n, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSuffix(l, "\r")
		switch {
		case strings.TrimSpace(l) == "":
		case strings.HasPrefix(l, `- "`) && strings.HasSuffix(l, `":`) && len(l) > 5:
			name := l[3 : len(l)-2]
			for _, o := range out {
				if o.name == name {
					return nil, fmt.Errorf("line %d: layer %q a second time", n+1, name)
				}
			}
			out = append(out, bootLayer{name: name})
		case strings.HasPrefix(l, `  - "`) && strings.HasSuffix(l, `"`) && len(l) > 6 && len(out) > 0:
			last := &out[len(out)-1]
			last.includes = append(last.includes, l[5:len(l)-1])
		default:
			return nil, fmt.Errorf("line %d: neither `- \"layer\":` nor `  - \"entry\"` under a layer: %q", n+1, l)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no layers")
	}
	return out, nil
}

// layerOf is the index of the layer holding the jar entry name: the first,
// in the file's order, that lists it or a directory above it, as Boot's
// IndexedLayers.getLayer finds it; -1 when none does.
func layerOf(layers []bootLayer, name string) int {
	for i, l := range layers {
		for _, inc := range l.includes {
			if inc == name || (strings.HasSuffix(inc, "/") && strings.HasPrefix(name, inc)) {
				return i
			}
		}
	}
	return -1
}
