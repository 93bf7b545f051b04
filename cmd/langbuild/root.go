package main

import (
	"github.com/spf13/cobra"

	"github.com/langbuild/langbuild/base"
	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/lang/golang"
	"github.com/langbuild/langbuild/lang/java"
	"github.com/langbuild/langbuild/lang/node"
)

// analyzers is the explicit list of languages langbuild knows, tried in order.
func analyzers() []lang.Analyzer {
	return []lang.Analyzer{golang.New(), java.New(), node.New()}
}

// defaultBases is the base per language when --from is not given; a Java
// project's is chosen by the release it targets (base.ForJava).
var defaultBases = map[string]string{
	"go":   base.DefaultGo,
	"node": base.DefaultNode,
}

// offlineBases name, per language, the --from that builds without pulling
// the default base.
var offlineBases = map[string]string{
	"go":   "debian:static (or builtin:static)",
	"java": "debian:java",
	"node": "debian:node",
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "langbuild",
		Short:         "Build container images of Go, Java and Node projects without a Docker daemon",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &flagError{err} })
	root.AddCommand(newBuild(), newPlan(), newBase(), newRebase(), newWatch(), newVersion(), newCache())
	return root
}
