package layering_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/langbuild/langbuild/layering"
)

// A plan's layers are built into compressed, reproducible blobs; building the
// same entries again finds them in the cache.
func ExampleBuilder_Build() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	cache, err := layering.OpenCache(dir)
	if err != nil {
		log.Fatal(err)
	}
	plan := &layering.Plan{Layers: []layering.Layer{{
		Name: "greeting",
		Entries: []layering.Entry{
			{Path: "/etc/greeting", Type: layering.TypeFile, Data: []byte("hello\n")},
			{Path: "/etc/hello", Type: layering.TypeSymlink, Linkname: "greeting"},
		},
	}}}
	b, err := layering.NewBuilder(cache)
	if err != nil {
		log.Fatal(err)
	}
	first, err := b.Build(context.Background(), plan)
	if err != nil {
		log.Fatal(err)
	}
	again, err := b.Build(context.Background(), plan)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first[0].Name, first[0].Cached, again[0].Cached, first[0].Digest == again[0].Digest)
	// Output: greeting false true true
}
