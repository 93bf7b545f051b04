package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCache() *cobra.Command {
	cmd := &cobra.Command{Use: "cache", Short: "Inspect langbuild's cache"}
	var dir string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check every cached blob against its digest",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := openCache(dir)
			if err != nil {
				return err
			}
			probs, err := c.Verify()
			if err != nil {
				return err
			}
			for _, p := range probs {
				fmt.Fprintln(cmd.ErrOrStderr(), p)
			}
			if len(probs) > 0 {
				return fmt.Errorf("cache %s: %d problems", dir, len(probs))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cache %s: ok\n", dir)
			return nil
		},
	}
	verify.Flags().StringVar(&dir, "cache-dir", "", "cache to check (default $XDG_CACHE_HOME/langbuild or ~/.cache/langbuild)")
	cmd.AddCommand(verify)
	return cmd
}
