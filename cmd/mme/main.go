// Command mme is the single binary of the project: the MME node and its lab
// peers and tools, as subcommands.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		var status exitStatusError
		if !errors.As(err, &status) {
			fmt.Fprintln(os.Stderr, "mme:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitStatusError carries a process exit status through cobra without
// printing a second error line (the command has already reported).
type exitStatusError struct{ code int }

func (e exitStatusError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func exitCode(err error) int {
	var e exitStatusError
	if errors.As(err, &e) {
		return e.code
	}
	return 2
}

// newRootCmd builds the command tree explicitly (no init() registries).
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "mme",
		Short:         "LTE Mobility Management Entity (TS 23.401) and its lab peers",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newDecodeCmd(),
		newHSSCmd(),
		newSGWEmuCmd(),
		newS1ProbeCmd(),
		newLoadtestCmd(),
		newDemoCmd(),
		newServeCmd(),
		newCtlCmd(),
	)
	return root
}

// newDecodeCmd groups the offline codec tools: `mme decode s1ap`, `mme decode nas`.
func newDecodeCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "decode",
		Short: "Decode hex PDUs (one per line) to JSON",
	}
	c.AddCommand(
		// subcommands are added here by the codec packages' wiring files
		newDecodeNASCmd(),
		newDecodeS1APCmd(),
	)
	return c
}
