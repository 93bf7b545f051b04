package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// fixedKeychain finds credentials for the registries listed.
type fixedKeychain map[string]bool

func (k fixedKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if k[r.RegistryStr()] {
		return &authn.Basic{Username: "u", Password: "p"}, nil
	}
	return authn.Anonymous, nil
}

// TestRefusal: a refused login is one line naming who refused (the registry,
// or its token server and the registry), what was tried, and what to do.
func TestRefusal(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.json")
	os.WriteFile(cfgFile, []byte(`{"auths": {"reg.test:5000": {"auth": "dTpw"}}, "credHelpers": {"helped.test": "acme"}}`), 0o600)
	t.Setenv("DOCKER_CONFIG", dir)

	log := &credentialLog{inner: fixedKeychain{"reg.test:5000": true, "helped.test": true}, found: map[string]bool{}}
	for _, ref := range []string{"reg.test:5000/team/app", "helped.test/app", "anon.test/app"} {
		repo, _ := name.NewRepository(ref)
		if _, err := log.Resolve(repo); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(method, url string, status int, msg string) *transport.Error {
		req, _ := http.NewRequest(method, url, nil)
		te := &transport.Error{StatusCode: status, Request: req}
		if msg != "" {
			te.Errors = []transport.Diagnostic{{Code: "UNAUTHORIZED", Message: msg}}
		}
		return te
	}
	for _, tc := range []struct {
		name string
		te   *transport.Error
		want []string
	}{{
		name: "token server",
		te:   refused("GET", "https://auth.test/token?scope=repository%3Ateam%2Fapp%3Apush%2Cpull&service=reg", 401, "incorrect username or password"),
		want: []string{"pushing reg.test:5000/team/app:1: the token server https://auth.test/token of registry reg.test:5000 refused the credentials from the Docker config " +
			cfgFile + " (auths) for reg.test:5000: 401 Unauthorized: incorrect username or password; log in again, e.g. `docker login reg.test:5000`"},
	}, {
		name: "registry, credential helper",
		te:   refused("HEAD", "https://helped.test/v2/app/blobs/sha256:00", 401, ""),
		want: []string{"the registry helped.test refused the credentials from the Docker config " + cfgFile + " (credential helper docker-credential-acme) for helped.test: 401 Unauthorized;"},
	}, {
		name: "anonymous",
		te:   refused("GET", "https://anon.test/v2/", 403, "access denied"),
		want: []string{"the registry anon.test refused anonymous access (no credentials for anon.test in the Docker config " + cfgFile + "): 403 Forbidden: access denied;"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			err := fmt.Errorf("pushing reg.test:5000/team/app:1: %w", tc.te)
			var te *transport.Error
			if !errors.As(err, &te) {
				t.Fatal("no transport.Error")
			}
			got := refusal(err, te, log)
			if strings.Contains(got, "\n") {
				t.Errorf("more than one line: %q", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("refusal:\n%s\nwant it to contain\n%s", got, w)
				}
			}
		})
	}
}
