package node

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

// entrypoint derives the command statically: the flag, a start script that is
// a plain `node [flags] FILE [args]`, "main", server.js, index.js. It is the
// image's Cmd; the base's entrypoint is node (distroless: /nodejs/bin/node).
func entrypoint(dir string, pkg packageJSON, flag string) ([]string, error) {
	pj := filepath.Join(dir, "package.json")
	if flag != "" {
		file, err := mainFlag(dir, flag)
		if err != nil {
			return nil, fmt.Errorf("--main %s %w", flag, err)
		}
		return []string{path.Join(AppDir, file)}, nil
	}
	if start := strings.TrimSpace(pkg.Scripts["start"]); start != "" {
		return parseStart(dir, start)
	}
	if pkg.Main != "" {
		main := pkg.Main
		if _, err := os.Stat(filepath.Join(dir, main)); err != nil && filepath.Ext(main) == "" {
			main += ".js"
		}
		file := path.Clean(filepath.ToSlash(main))
		if file == ".." || strings.HasPrefix(file, "../") {
			return nil, fmt.Errorf("%s: \"main\" %q %w", pj, main, errOutside(dir))
		}
		file, err := runnable(dir, file)
		if err != nil {
			return nil, fmt.Errorf("%s: \"main\" %q %w", pj, main, err)
		}
		return []string{path.Join(AppDir, file)}, nil
	}
	for _, f := range []string{"server.js", "index.js"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return []string{path.Join(AppDir, f)}, nil
		}
	}
	return nil, fmt.Errorf("%s: no entrypoint: no start script, no \"main\", no server.js or index.js; give --main FILE", pj)
}

// mainFlag turns --main into a path relative to the project: the image
// holds only the project's files, so a path leaving it cannot run there.
func mainFlag(dir, flag string) (string, error) {
	p := filepath.Clean(flag)
	if filepath.IsAbs(p) {
		if !lang.Within(p, dir) {
			return "", errOutside(dir)
		}
		p, _ = filepath.Rel(dir, p)
	}
	p = filepath.ToSlash(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", errOutside(dir)
	}
	return runnable(dir, p)
}

func errOutside(dir string) error {
	return fmt.Errorf("is outside the project (%s): the image holds only the project's files", dir)
}

// runnable checks that node can run file (relative to dir, slash-separated)
// and returns what it runs: file itself, or for a directory what node would
// load from it, its package.json's "main" (as is, with .js, or its
// index.js) or else its index.js. An error reads after the file's name.
func runnable(dir, file string) (string, error) {
	fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(file)))
	if err != nil {
		return "", errors.New("does not exist")
	}
	if !fi.IsDir() {
		return file, nil
	}
	var sub packageJSON
	if err := readJSON(filepath.Join(dir, filepath.FromSlash(file), "package.json"), &sub); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	var tries []string
	if sub.Main != "" {
		m := path.Join(file, sub.Main)
		tries = append(tries, m, m+".js", path.Join(m, "index.js"))
	}
	for _, t := range append(tries, path.Join(file, "index.js")) {
		if t == ".." || strings.HasPrefix(t, "../") {
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(t))); err == nil && !fi.IsDir() {
			return t, nil
		}
	}
	if sub.Main != "" {
		return "", fmt.Errorf("is a directory whose package.json's \"main\" (%s) and index.js do not exist: name the file to run", sub.Main)
	}
	return "", errors.New(`is a directory with no index.js and no package.json with "main": name the file to run`)
}

func parseStart(dir, start string) ([]string, error) {
	pj := filepath.Join(dir, "package.json")
	if strings.ContainsAny(start, "&|;<>$`*?()\\\"'") {
		return nil, fmt.Errorf("%s: scripts.start %q uses shell syntax, and the image runs node without a shell: set \"main\" or give --main FILE", pj, start)
	}
	f := strings.Fields(start)
	if len(f) == 0 {
		return nil, fmt.Errorf("%s: scripts.start is empty: set \"main\" or give --main FILE", pj)
	}
	if strings.Contains(f[0], "=") {
		return nil, fmt.Errorf("%s: scripts.start %q sets environment variables, and the image runs node without a shell: set them with --env and give --main FILE", pj, start)
	}
	if f[0] != "node" {
		return nil, fmt.Errorf("%s: scripts.start runs %q, not node: set \"main\" or give --main FILE", pj, f[0])
	}
	var flags []string
	i := 1
	for ; i < len(f) && strings.HasPrefix(f[i], "-"); i++ {
		flags = append(flags, f[i])
	}
	if i == len(f) {
		return nil, fmt.Errorf("%s: scripts.start %q names no file to run", pj, start)
	}
	file := path.Clean(f[i])
	if strings.HasPrefix(file, "../") || path.IsAbs(file) {
		return nil, fmt.Errorf("%s: scripts.start runs %s, outside the project", pj, f[i])
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(file))); err != nil {
		return nil, fmt.Errorf("%s: scripts.start runs %s, which does not exist", pj, file)
	}
	return append(append(flags, path.Join(AppDir, file)), f[i+1:]...), nil
}

// defaultIgnores are never part of the app layer.
var defaultIgnores = []string{
	".git", ".git/**", "node_modules", "node_modules/**", "coverage", "coverage/**", ".nyc_output", ".nyc_output/**",
	"test", "test/**", "tests", "tests/**", "__tests__", "__tests__/**", ".github", ".github/**",
	".vscode", ".vscode/**", ".idea", ".idea/**", "*.log", ".dockerignore", ".langbuildignore", ".gitignore",
	"image", "image/**", ".langbuild", ".langbuild/**",
	// Package managers' settings and state: .npmrc and .yarnrc.yml can hold
	// registry tokens, and nothing at run time reads them.
	".npmrc", ".yarnrc", ".yarnrc.yml", ".yarn", ".yarn/**", ".pnpm-store", ".pnpm-store/**",
}

// appFiles lists the app's own files: the "files" field's when present (with
// package.json), else the project directory minus the default ignores and
// the patterns of .dockerignore and .langbuildignore (doublestar globs;
// "!pattern" re-includes). Workspace package directories are layered apart.
// Images written into the project (OCI layouts, image tarballs) are left out
// wherever they are, and so are .env files unless opts.IncludeEnvFiles: those
// left out are named through o.Notify. A "!pattern" keeps either.
func appFiles(dir string, pkg packageJSON, workspaceDirs map[string]bool, lockName string, links lang.Links, o settings) ([]layering.Entry, error) {
	ignores := append([]string{}, defaultIgnores...)
	var keep []string
	for _, f := range []string{".dockerignore", ".langbuildignore"} {
		pats, err := readIgnore(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		for _, p := range pats {
			if strings.HasPrefix(p, "!") {
				keep = append(keep, strings.TrimPrefix(p, "!"))
			} else {
				ignores = append(ignores, p, p+"/**")
			}
		}
	}
	kept := func(rel string) bool {
		for _, k := range keep {
			if ok, _ := doublestar.Match(k, rel); ok {
				return true
			}
		}
		return false
	}
	ignored := func(rel string) bool {
		if kept(rel) {
			return false
		}
		for _, p := range ignores {
			if ok, _ := doublestar.Match(p, rel); ok {
				return true
			}
		}
		return false
	}
	// The lockfile is not needed at run time, and leaving it out keeps a
	// dependency update out of the app layer.
	ignores = append(ignores, lockName, "npm-shrinkwrap.json", "package-lock.json")
	var only []string
	if len(pkg.Files) > 0 {
		only = append([]string{"package.json"}, pkg.Files...)
	}
	selected := func(rel string) bool {
		if only == nil {
			return true
		}
		for _, o := range only {
			o = strings.TrimPrefix(strings.TrimSuffix(o, "/"), "./")
			if rel == o || strings.HasPrefix(rel, o+"/") {
				return true
			}
			if ok, _ := doublestar.Match(o, rel); ok {
				return true
			}
		}
		return false
	}
	var es []layering.Entry
	var envFiles []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		r := rel(dir, p)
		if workspaceDirs[r] || ignored(r) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if isLayout(p) && !kept(r) {
				return filepath.SkipDir
			}
			return nil
		}
		if !selected(r) {
			return nil
		}
		if isEnvFile(d.Name()) && !o.IncludeEnvFiles && !kept(r) {
			envFiles = append(envFiles, r)
			return nil
		}
		if strings.HasSuffix(d.Name(), ".tar") && d.Type().IsRegular() && isImageTarball(p) && !kept(r) {
			return nil
		}
		sub, err := links.Entries(dir, p, path.Join(AppDir, r), d)
		es = append(es, sub...)
		return err
	})
	if len(envFiles) > 0 && o.Notify != nil {
		o.Notify(fmt.Sprintf("left out of the image: %s (environment files often hold secrets); pass --include-env-files to put them in", strings.Join(envFiles, ", ")))
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Path < es[j].Path })
	return es, err
}

func readIgnore(file string) ([]string, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		neg := strings.HasPrefix(l, "!")
		l = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(l, "!"), "/"), "./")
		l = strings.TrimSuffix(l, "/")
		if neg {
			l = "!" + l
		}
		out = append(out, l)
	}
	return out, sc.Err()
}
