package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/langbuild/langbuild/publish"
)

// outputFlags are where a verb that writes an image writes it, and what it
// records of it: build, watch, rebase and base build take the same ones.
type outputFlags struct {
	outputs []string
	tags    []string
	name    string

	digestFile  string
	imageIDFile string
	summaryFile string
	jsonOut     bool
}

// register adds --output, --tag and --name; outputHelp describes --output
// (what it defaults to, for a verb that has a default).
func (f *outputFlags) register(cmd *cobra.Command, outputHelp string) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, outputHelp)
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "extra tag for registry outputs (repeatable)")
	fl.StringVar(&f.name, "name", "", "image name for tarball RepoTags and OCI layout ref names")
}

// registerRecords adds the flags that record the image written: its
// digest, its ID, a JSON summary.
func (f *outputFlags) registerRecords(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.digestFile, "digest-file", "", "write the image digest to this file")
	fl.StringVar(&f.imageIDFile, "image-id-file", "", "write the image ID (the config's digest) to this file")
	fl.StringVar(&f.summaryFile, "summary-file", "", "write a JSON summary (references, digest, tags, base, layers and whether each was pushed) to this file")
	fl.BoolVar(&f.jsonOut, "json", false, "print the JSON summary on stdout instead of the references, and progress as JSON lines on stderr (unless -q)")
}

const outputHelp = "where to publish: REGISTRY/REPO[:TAG], oci:DIR[:TAG] or tar:FILE (repeatable)"

// checkFiles fails early, before anything is built or pushed, when a file
// the records go to cannot be written.
func (f *outputFlags) checkFiles() error {
	for _, file := range []string{f.digestFile, f.imageIDFile, f.summaryFile} {
		if err := checkWritable(file); err != nil {
			return err
		}
	}
	return nil
}

// report writes the records of s and prints the result on stdout: the
// summary with --json, else the references, one a line.
func (f *outputFlags) report(stdout io.Writer, s *summary) error {
	if err := f.writeFiles(s); err != nil {
		return err
	}
	if f.jsonOut {
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		return e.Encode(s)
	}
	for _, r := range s.References {
		fmt.Fprintln(stdout, r)
	}
	return nil
}

func (f *outputFlags) writeFiles(s *summary) error {
	write := func(file, content string) error {
		if file == "" {
			return nil
		}
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", file, err)
		}
		return nil
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := write(f.digestFile, s.Digest+"\n"); err != nil {
		return err
	}
	if err := write(f.imageIDFile, s.ImageID+"\n"); err != nil {
		return err
	}
	return write(f.summaryFile, string(b)+"\n")
}

// publish publishes img, on the base named baseName (baseDigest), to pub,
// then records and prints it as report does.
func (f *outputFlags) publish(ctx context.Context, stdout io.Writer, pub publish.Interface, img v1.Image, baseName, baseDigest string) error {
	res, err := pub.Publish(ctx, img)
	if err != nil {
		return err
	}
	s, err := newSummary(img, res, baseName, baseDigest, f.outputs, f.tags)
	if err != nil {
		return err
	}
	return f.report(stdout, s)
}
