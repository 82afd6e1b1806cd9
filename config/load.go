package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads a description file over the defaults and validates it. It is
// what the generators and checkers use; the host adds environment
// variables and flags between LoadFile and Validate.
func Load(path string) (*Config, error) {
	c := Default()
	if err := c.LoadFile(path); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadFile reads a description file over c. All bad keys and values are
// reported together, joined, each an *Error naming file, line and key.
func (c *Config) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading deployment description: %w", err)
	}
	c.File = path
	return c.Parse(path, data)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// Parse reads a description from data over c; name is used in errors.
func (c *Config) Parse(name string, data []byte) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return yamlError(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		return yamlError(name, err)
	case len(next.Content) == 0 || next.Content[0].Kind == yaml.ScalarNode && next.Content[0].Tag == "!!null":
		// A trailing "---" with nothing after it, as some tools write.
	default:
		return &Error{Where: where(name, &next), Err: errors.New("a second YAML document (after ---): a description is one document")}
	}
	if len(doc.Content) == 0 {
		return nil // an empty file: every default
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return &Error{Where: where(name, root), Err: errors.New("the description must be a mapping of keys such as name, app, forwarded, proxy, supervise")}
	}
	var errs []error
	c.walk(name, "", root, &errs)
	return errors.Join(errs...)
}

// yamlError places a YAML syntax error at its line, when the parser gives one.
func yamlError(name string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return &Error{Where: name + ":" + m[1], Err: errors.New("invalid YAML: " + msg[len(m[0]):])}
	}
	return &Error{Where: name, Err: fmt.Errorf("invalid YAML: %w", err)}
}

func where(name string, n *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", name, n.Line, n.Column)
}

func (c *Config) walk(name, prefix string, m *yaml.Node, errs *[]error) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		// written is the value as the file has it, an alias where one
		// stands: errors and origins point there, at the key's own line.
		// v is what it stands for.
		k, written := m.Content[i], m.Content[i+1]
		v := written
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if strings.Contains(k.Value, ".") || k.Value == "" {
			*errs = append(*errs, &Error{Where: where(name, k), Key: k.Value, Err: fmt.Errorf("unknown key; a key names one level (write each part on its own line, indented under the one before); %s accepts: %s", sectionName(prefix), strings.Join(childKeys(prefix), ", "))})
			continue
		}
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		at := where(name, k)
		if seen[k.Value] {
			*errs = append(*errs, &Error{Where: at, Key: path, Err: errors.New("key written twice")})
			continue
		}
		seen[k.Value] = true
		if f, ok := lookupField(path); ok {
			vals, err := leafValues(f, v)
			if err == nil {
				err = f.set(c, vals)
			}
			if err != nil {
				*errs = append(*errs, &Error{Where: where(name, written), Key: path, Err: err})
				continue
			}
			c.setOrigin(path, origin{where(name, written), name, written.Line})
			continue
		}
		if !isSection(path) {
			*errs = append(*errs, &Error{Where: at, Key: path, Err: fmt.Errorf("unknown key; %s accepts: %s", sectionName(prefix), strings.Join(childKeys(prefix), ", "))})
			continue
		}
		c.setOrigin(path, origin{at, name, k.Line})
		switch {
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			// "tls:" with nothing under it: no keys set.
		case v.Kind != yaml.MappingNode:
			*errs = append(*errs, &Error{Where: where(name, written), Key: path, Err: fmt.Errorf("want a mapping of keys (%s)", strings.Join(childKeys(path), ", "))})
		default:
			c.walk(name, path, v, errs)
		}
	}
}

func sectionName(prefix string) string {
	if prefix == "" {
		return "the top level"
	}
	return prefix
}

// leafValues reads a key's value, an alias already followed.
func leafValues(f field, v *yaml.Node) ([]string, error) {
	if !f.list {
		if v.Kind != yaml.ScalarNode {
			return nil, errors.New("want a single value, not a list or mapping")
		}
		if v.Tag == "!!null" {
			return nil, errors.New("needs a value")
		}
		return []string{v.Value}, nil
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, nil
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(v.Content))
		for _, e := range v.Content {
			if e.Kind == yaml.AliasNode {
				e = e.Alias
			}
			if e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
				return nil, fmt.Errorf("line %d: want a list of plain values", e.Line)
			}
			out = append(out, e.Value)
		}
		return out, nil
	}
	return nil, errors.New("want a list of values")
}

// internalEnvPrefix marks variables apphost passes to its own processes;
// ApplyEnv leaves them alone.
const internalEnvPrefix = "APPHOST_INTERNAL_"

// ApplyEnv applies APPHOST_* variables from env (as os.Environ returns
// it). List values are comma-separated. An APPHOST_ variable that names no
// key is an error, so that a misspelling is not silently ignored.
func (c *Config) ApplyEnv(env []string) error {
	var errs []error
	for _, kv := range env {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "APPHOST_") || strings.HasPrefix(name, internalEnvPrefix) {
			continue
		}
		f, ok := fieldForEnv(name)
		if !ok {
			errs = append(errs, &Error{Where: "environment " + name, Err: errors.New("no such setting; see docs/configuration.md for the variables")})
			continue
		}
		vals := []string{val}
		if f.list {
			vals = splitList(val)
		}
		if err := f.set(c, vals); err != nil {
			errs = append(errs, &Error{Where: "environment " + name, Key: f.path, Err: err})
			continue
		}
		c.setOrigin(f.path, origin{where: "environment " + name})
	}
	return errors.Join(errs...)
}

func fieldForEnv(name string) (field, bool) {
	for _, f := range fields {
		if EnvName(f.path) == name {
			return f, true
		}
	}
	return field{}, false
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Set sets one key, as a command-line flag does; where names the source in
// errors (such as "flag --listen"). A list key takes all values given.
func (c *Config) Set(where, path string, values ...string) error {
	f, ok := lookupField(path)
	if !ok {
		return &Error{Where: where, Key: path, Err: errors.New("no such setting")}
	}
	if !f.list && len(values) != 1 {
		return &Error{Where: where, Key: path, Err: fmt.Errorf("want one value, got %d", len(values))}
	}
	if err := f.set(c, values); err != nil {
		return &Error{Where: where, Key: path, Err: err}
	}
	c.setOrigin(path, origin{where: where})
	return nil
}
