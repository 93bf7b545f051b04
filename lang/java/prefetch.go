package java

import (
	"runtime"
	"strings"
	"sync"
)

// rawCache parses poms ahead of need, on every core: the resolver asks for
// the poms of a node's dependencies as soon as it meets them, and a parsed
// pom asks for its parent, so that by the time the breadth-first walk
// reaches them they are read. Parsing XML is most of a cold resolution.
type rawCache struct {
	mu   sync.Mutex
	poms map[string]*rawFuture
	sem  chan struct{}
}

type rawFuture struct {
	done chan struct{}
	r    *raw
	err  error
}

func newRawCache() *rawCache {
	return &rawCache{poms: map[string]*rawFuture{}, sem: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// get returns the parsed pom at file, parsing it now unless it is under way.
func (c *rawCache) get(file string) (*raw, error) {
	c.mu.Lock()
	f, ok := c.poms[file]
	if !ok {
		f = &rawFuture{done: make(chan struct{})}
		c.poms[file] = f
		c.mu.Unlock()
		c.parse(file, f)
	} else {
		c.mu.Unlock()
	}
	<-f.done
	return f.r, f.err
}

// prefetch starts parsing files not asked for yet, in the background.
func (c *rawCache) prefetch(l *loader, files ...string) {
	for _, file := range files {
		c.mu.Lock()
		if _, ok := c.poms[file]; ok {
			c.mu.Unlock()
			continue
		}
		f := &rawFuture{done: make(chan struct{})}
		c.poms[file] = f
		c.mu.Unlock()
		go func() {
			c.sem <- struct{}{}
			c.parse(file, f)
			<-c.sem
			if f.err == nil {
				if pp := f.r.p.Parent; pp != nil {
					g, a, v := str(pp.GroupID), str(pp.ArtifactID), str(pp.Version)
					if g != "" && a != "" && v != "" && !strings.Contains(g+a+v, "${") {
						c.prefetch(l, l.repoPath(g, a, v, "", "pom"))
					}
				}
			}
		}()
	}
}

func (c *rawCache) parse(file string, f *rawFuture) {
	f.r, f.err = readPom(file)
	close(f.done)
}
