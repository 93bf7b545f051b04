package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/docker/cli/cli/config"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// credentialsTried is the keychain every registry connection of this run
// uses; it remembers for which repositories it found credentials, so that a
// refusal can say what was tried.
var credentialsTried = &credentialLog{inner: authn.DefaultKeychain, found: map[string]bool{}}

// credentialLog is a keychain that notes what its inner keychain found.
type credentialLog struct {
	inner authn.Keychain
	mu    sync.Mutex
	found map[string]bool // repository (host/path) or registry -> credentials found
	hosts []string        // registries asked about, in order
}

func (l *credentialLog) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return l.ResolveContext(context.Background(), r)
}

func (l *credentialLog) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	a, err := authn.Resolve(ctx, l.inner, r)
	if err == nil {
		l.mu.Lock()
		if _, seen := l.found[r.RegistryStr()]; !seen {
			l.hosts = append(l.hosts, r.RegistryStr())
		}
		l.found[r.String()] = a != authn.Anonymous
		l.found[r.RegistryStr()] = a != authn.Anonymous
		l.mu.Unlock()
	}
	return a, err
}

// registryFor returns the registry a token server was asked about, from the
// repositories in the token request's scopes ("repository:PATH:ACTIONS").
func (l *credentialLog) registryFor(scopes []string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, param := range scopes {
		for _, s := range strings.Fields(param) {
			typ, rest, _ := strings.Cut(s, ":")
			i := strings.LastIndex(rest, ":")
			if typ != "repository" || i < 0 {
				continue
			}
			for _, h := range l.hosts {
				if _, ok := l.found[h+"/"+rest[:i]]; ok {
					return h
				}
			}
		}
	}
	if len(l.hosts) == 1 {
		return l.hosts[0]
	}
	return ""
}

// refusal says, in one line, who refused which credentials: the registry
// (basic auth) or its token server (Bearer auth), and what langbuild tried
// (the Docker config's auths, a credential helper, or no credentials).
func refusal(err error, te *transport.Error, log *credentialLog) string {
	// What langbuild was doing ("pushing REF: "), without go-containerregistry's
	// request line.
	doing := strings.TrimSuffix(err.Error(), te.Error())
	if doing == err.Error() {
		doing = ""
	}
	u := te.Request.URL
	host, who := u.Host, "the registry "+u.Host
	if !strings.HasPrefix(u.Path, "/v2/") {
		host = log.registryFor(u.Query()["scope"])
		realm := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
		who = "the token server " + realm
		if host != "" {
			who += " of registry " + host
		}
	}
	log.mu.Lock()
	found, asked := log.found[host]
	log.mu.Unlock()
	tried := "the credentials langbuild found"
	if host != "" {
		tried = describeCredentials(host, asked && !found)
	}
	why := fmt.Sprintf("%d %s", te.StatusCode, http.StatusText(te.StatusCode))
	for _, d := range te.Errors {
		why += ": " + d.Message
	}
	login := "`docker login " + host + "` or `crane auth login " + host + "`"
	if host == "" {
		login = "`docker login` or `crane auth login`"
	}
	return fmt.Sprintf("%s%s refused %s: %s; log in again, e.g. %s", doing, who, tried, why, login)
}

// describeCredentials says where the credentials for host come from, as the
// Docker config keychain finds them (without running a credential helper).
func describeCredentials(host string, anonymous bool) string {
	cf := config.LoadDefaultConfigFile(io.Discard)
	file := cf.Filename
	if _, err := os.Stat(file); err != nil {
		if anonymous {
			return "anonymous access (no credentials: no Docker config at " + file + ")"
		}
		return "the credentials found for " + host + " (no Docker config at " + file + "; from $REGISTRY_AUTH_FILE or containers/auth.json)"
	}
	if anonymous {
		return "anonymous access (no credentials for " + host + " in the Docker config " + file + ")"
	}
	if h := cf.CredentialHelpers[host]; h != "" {
		return "the credentials from the Docker config " + file + " (credential helper docker-credential-" + h + ") for " + host
	}
	for _, k := range []string{host, "https://" + host, "http://" + host} {
		if _, ok := cf.AuthConfigs[k]; ok {
			return "the credentials from the Docker config " + file + " (auths) for " + host
		}
	}
	if cf.CredentialsStore != "" {
		return "the credentials from the Docker config " + file + " (credential store docker-credential-" + cf.CredentialsStore + ") for " + host
	}
	return "the credentials found for " + host
}
