package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/langbuild/langbuild/layering"
	"github.com/langbuild/langbuild/pipeline"
)

func newPlan() *cobra.Command {
	var f projectFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan [DIR|PKG]",
		Short: "Print the layer plan of the project without building anything",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			opts, err := f.options(dir)
			if err != nil {
				return err
			}
			language, p, err := pipelinePlan(cmd, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				e := json.NewEncoder(out)
				e.SetIndent("", "  ")
				return e.Encode(struct {
					Language string         `json:"language"`
					Plan     *layering.Plan `json:"plan"`
				}{language, p})
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "LAYER\tENTRIES\tPATHS\n")
			for _, l := range p.Layers {
				paths := ""
				for i, e := range l.Entries {
					if i == 3 {
						paths += ", ..."
						break
					}
					if i > 0 {
						paths += ", "
					}
					paths += e.Path
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\n", l.Name, len(l.Entries), paths)
			}
			tw.Flush()
			c := p.Config
			fmt.Fprintf(out, "\nlanguage:   %s\nentrypoint: %q\ncmd:        %q\nuser:       %s\nenv:        %q\n", language, c.Entrypoint, c.Cmd, c.User, c.Env)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	return cmd
}

func pipelinePlan(cmd *cobra.Command, opts pipeline.Options) (string, *layering.Plan, error) {
	return pipeline.Plan(cmd.Context(), opts)
}
