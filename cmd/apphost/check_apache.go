package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/apphost/apphost/integration/apache"
	"github.com/apphost/apphost/integration/findings"
	"github.com/spf13/cobra"
)

func newCheckApacheCommand() *cobra.Command {
	var (
		flags      checkFlags
		apacheTest bool
		binary     string
		serverRoot string
		defines    []string
	)
	cmd := &cobra.Command{
		Use:   "apache FILE...",
		Short: "Check Apache httpd configuration for reverse-proxy mistakes",
		Long: "Read Apache httpd configuration (a site file or a whole apache2.conf, following\n" +
			"Include and Define) and report the mistakes that break or endanger proxied apps.\n" +
			"With -f, also compare it with the deployment description. ${VAR} not set by\n" +
			"Define is looked up in the environment (on Debian: source /etc/apache2/envvars).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			threshold, err := flags.validate()
			if err != nil {
				return err
			}
			dep, err := flags.description()
			if err != nil {
				return err
			}
			loaded, err := apache.Load(files, apache.LoadOptions{ServerRoot: serverRoot, Defines: defines, LookupEnv: os.LookupEnv})
			if err != nil {
				// A configuration that does not parse is a finding, as
				// for nginx; a file that cannot be read is not.
				f, ok := apache.SyntaxFinding(err)
				if !ok {
					return err
				}
				return flags.report(cmd, []findings.Finding{f}, apache.Rules(), threshold)
			}
			list := apache.Check(loaded, apache.CheckOptions{Deployment: dep})
			if apacheTest {
				f, err := runApacheTest(binary, files, loaded)
				if err != nil {
					return err
				}
				if f != nil {
					list = append(list, *f)
				}
			}
			return flags.report(cmd, list, apache.Rules(), threshold)
		},
	}
	flags.register(cmd)
	cmd.Flags().BoolVar(&apacheTest, "apache-test", false, "also run httpd's own configuration test (apache2 -t) on a temporary server root")
	cmd.Flags().StringVar(&binary, "apache-binary", "", "httpd program for --apache-test (default: apache2 or httpd from PATH or /usr/sbin)")
	cmd.Flags().StringVar(&serverRoot, "server-root", "", "directory relative Include paths start from (default: the first file's directory, until ServerRoot)")
	cmd.Flags().StringArrayVarP(&defines, "define", "D", nil, "a name <IfDefine> sees as defined, as httpd -D (repeatable)")
	return cmd
}

// runApacheTest returns a finding when httpd rejects the files, nil when
// it accepts them, and an error when httpd cannot be run at all.
func runApacheTest(binary string, files []string, loaded *apache.Config) (*findings.Finding, error) {
	if binary == "" {
		var err error
		if binary, err = findHttpd(); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := apache.SyntaxCheck(ctx, binary, files, loaded)
	switch {
	case err == nil:
		return nil, nil
	case errors.Is(err, apache.ErrConfigTest):
		f := apache.ConfigTestFinding(err, files)
		return &f, nil
	}
	return nil, err
}

func findHttpd() (string, error) {
	for _, name := range []string{"apache2", "httpd"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/local/apache2/bin"} {
			p := dir + "/" + name
			if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("--apache-test: neither apache2 nor httpd found; name it with --apache-binary")
}
