package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// npmRegistry returns how the npm registry of the user's npm configuration
// is found, for the nodejsNN bases (Node's official build comes from there):
// `npm config get registry` run in dir, which reads the project's, the
// user's and the global npmrc and npm_config_registry as any npm command
// would. Without npm, the registry= line of the npmrc files npm reads (the
// project's .npmrc, the user's, its global one), or the variable. It is
// asked at most once, and only when a base needs it: npm takes about 0.3 s
// to start.
func npmRegistry(dir string) func(ctx context.Context) (string, error) {
	var (
		once sync.Once
		reg  string
		err  error
	)
	return func(ctx context.Context) (string, error) {
		once.Do(func() { reg, err = findNpmRegistry(ctx, dir) })
		return reg, err
	}
}

func findNpmRegistry(ctx context.Context, dir string) (string, error) {
	if npm, lerr := exec.LookPath("npm"); lerr == nil {
		cmd := exec.CommandContext(ctx, npm, "config", "get", "registry")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
			}
			return "", fmt.Errorf("npm config get registry: %w", err)
		}
		return checkRegistry(strings.TrimSpace(string(out)), "npm config get registry")
	}
	for _, name := range []string{"npm_config_registry", "NPM_CONFIG_REGISTRY"} {
		if v := os.Getenv(name); v != "" {
			return checkRegistry(v, name)
		}
	}
	var files []string
	if dir != "" {
		files = append(files, filepath.Join(dir, ".npmrc"))
	}
	if f := os.Getenv("NPM_CONFIG_USERCONFIG"); f != "" {
		files = append(files, f)
	} else if home, err := os.UserHomeDir(); err == nil {
		files = append(files, filepath.Join(home, ".npmrc"))
	}
	if f := os.Getenv("NPM_CONFIG_GLOBALCONFIG"); f != "" {
		files = append(files, f)
	} else if p := os.Getenv("PREFIX"); p != "" {
		files = append(files, filepath.Join(p, "etc", "npmrc"))
	}
	for _, f := range files {
		if v, ok := npmrcValue(f, "registry"); ok {
			return checkRegistry(v, f)
		}
	}
	return "", errors.New("npm is not installed and no npmrc names a registry: install npm, or set registry=URL in ~/.npmrc")
}

var npmrcVarRE = regexp.MustCompile(`\$\{([^}]+)\}`)

// npmrcValue reads key from an npmrc (ini: key = value, ; and # comments,
// ${VAR} expanded as npm expands it).
func npmrcValue(file, key string) (string, bool) {
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		v = npmrcVarRE.ReplaceAllStringFunc(v, func(m string) string { return os.Getenv(m[2 : len(m)-1]) })
		return v, true
	}
	return "", false
}

func checkRegistry(v, from string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%s gives the npm registry %q, which is not an http(s) URL", from, v)
	}
	if !strings.HasSuffix(v, "/") {
		v += "/"
	}
	return v, nil
}
