package iis

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

//go:embed schema/web-config.xsd
var schemaXSD []byte

// SchemaXSD returns the XML schema (XSD 1.0) of the web.config sections
// Generate writes, built from IIS's documented schema for them.
func SchemaXSD() []byte { return bytes.Clone(schemaXSD) }

// Lint validates files against SchemaXSD with the xmllint program at
// xmllint (libxml2's), returning an error that carries xmllint's
// messages, with file and line, when one does not validate.
func Lint(ctx context.Context, xmllint string, files ...string) error {
	if len(files) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "apphost-iis-xsd-")
	if err != nil {
		return fmt.Errorf("writing the schema for xmllint: %w", err)
	}
	defer os.RemoveAll(dir)
	xsd := filepath.Join(dir, "web-config.xsd")
	if err := os.WriteFile(xsd, schemaXSD, 0o644); err != nil {
		return fmt.Errorf("writing the schema for xmllint: %w", err)
	}
	args := append([]string{"--noout", "--nonet", "--schema", xsd}, files...)
	out, err := exec.CommandContext(ctx, xmllint, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("xmllint: %w\n%s", err, bytes.TrimSpace(out))
	}
	return nil
}
