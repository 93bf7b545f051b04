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

// defaultBases is the base per language when --from is not given.
var defaultBases = map[string]string{
	"go":     base.DefaultGo,
	"java":   base.DefaultJava17,
	"java21": base.DefaultJava21,
	"node":   base.DefaultNode,
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
