package main

import (
	"fmt"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/output"
	"github.com/spf13/cobra"
)

func newGenCommand() *cobra.Command {
	return commandGroup(&cobra.Command{
		Use:   "gen",
		Short: "Generate proxy and service configuration from apphost.yaml",
		Long: "Generate configuration for the reverse proxy or the service manager from the\n" +
			"deployment description. Output goes to standard output, or with -o to files\n" +
			"written atomically; an existing file with other content is kept unless --force.",
	}, newGenNginxCommand(), newGenApacheCommand(), newGenIISCommand(), newGenSystemdCommand())
}

// genFlags are the flags every generator takes.
type genFlags struct {
	file   string
	outDir string
	force  bool
}

func (g *genFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&g.file, "file", "f", "apphost.yaml", "deployment description to read")
	cmd.Flags().StringVarP(&g.outDir, "output", "o", "", "write the files into this directory instead of standard output")
	cmd.Flags().BoolVar(&g.force, "force", false, "overwrite existing files whose content differs")
}

func (g *genFlags) load() (*config.Config, error) {
	return config.Load(g.file)
}

// write prints files to standard output (one file as it is; several each
// under a "==> name <==" line), or writes them into the output directory.
func (g *genFlags) write(cmd *cobra.Command, files []output.File) error {
	out := cmd.OutOrStdout()
	if g.outDir == "" {
		for _, f := range files {
			if len(files) > 1 {
				if _, err := fmt.Fprintf(out, "==> %s <==\n", f.Name); err != nil {
					return err
				}
			}
			if _, err := out.Write(f.Content); err != nil {
				return err
			}
		}
		return nil
	}
	results, err := output.WriteAll(g.outDir, files, g.force)
	if err != nil {
		return err
	}
	for _, r := range results {
		state := "wrote"
		if r.Unchanged {
			state = "unchanged"
		}
		if _, err := fmt.Fprintf(cmd.ErrOrStderr(), "%s %s\n", state, r.Path); err != nil {
			return err
		}
	}
	return nil
}
