package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load returns Default overlaid with the YAML file (if any) and then with the
// environment variables listed by EnvVars, read through getenv; a nil getenv
// reads nothing. When file is empty, the path in VERBATIM_CONFIG is used, if
// set. Unknown YAML fields, secrets in the file and malformed environment
// values are errors that name the file and line or the variable. Handles are
// stored without "@". Load does not call Validate.
func Load(file string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := Default()
	if file == "" {
		file = getenv(EnvConfigFile)
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := decodeYAML(file, data, &c); err != nil {
			return Config{}, err
		}
	}
	if errs := applyEnv(&c, getenv); len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	for i, a := range c.Accounts {
		c.Accounts[i] = a.normalized()
	}
	return c, nil
}

// decodeYAML overlays c with the single YAML document in data, read from
// file, rejecting unknown fields and secrets.
func decodeYAML(file string, data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: defaults stand
		}
		return yamlError(file, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return yamlError(file, err)
	default:
		return fmt.Errorf("config: %s:%d: more than one YAML document", file, extra.Line)
	}

	var errs []error
	for _, v := range EnvVars() {
		if !v.Secret {
			continue
		}
		for _, key := range findKeys(&root, strings.Split(v.Field, ".")) {
			errs = append(errs, fmt.Errorf("config: %s:%d: %s: secrets are read only from the environment (%s)",
				file, key.Line, v.Field, v.Name))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(c); err != nil {
		return yamlError(file, err)
	}
	return nil
}

// findKeys returns the key nodes at path under n, following aliases. The
// walk is bounded by len(path), so cyclic aliases cannot loop.
func findKeys(n *yaml.Node, path []string) []*yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return findKeys(n.Content[0], path)
	}
	if n.Kind != yaml.MappingNode || len(path) == 0 {
		return nil
	}
	var keys []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != path[0] {
			continue
		}
		if len(path) == 1 {
			keys = append(keys, n.Content[i])
		} else {
			keys = append(keys, findKeys(n.Content[i+1], path[1:])...)
		}
	}
	return keys
}

// yamlError rewrites a yaml.v3 error as one "config: file:line: problem"
// line per problem.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		errs := make([]error, 0, len(te.Errors))
		for _, msg := range te.Errors {
			errs = append(errs, errors.New("config: "+fileLine(file, msg)))
		}
		return errors.Join(errs...)
	}
	return errors.New("config: " + fileLine(file, strings.TrimPrefix(err.Error(), "yaml: ")))
}

// fileLine turns "line 3: problem" into "file:3: problem".
func fileLine(file, msg string) string {
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, problem, ok := strings.Cut(rest, ": "); ok && isDigits(n) {
			return file + ":" + n + ": " + explain(problem)
		}
	}
	return file + ": " + msg
}

// explain rewords yaml.v3 messages that name Go types: "field tabz not
// found in type config.Browser" becomes `unknown field "tabz" in browser`,
// and a failed duration gets an example. Other messages pass unchanged.
func explain(msg string) string {
	if strings.HasSuffix(msg, " into time.Duration") {
		return msg + ` (want a duration such as "30s")`
	}
	rest, ok := strings.CutPrefix(msg, "field ")
	if !ok {
		return msg
	}
	name, typ, ok := strings.Cut(rest, " not found in type config.")
	if !ok {
		return msg
	}
	if section := sectionOf(typ); section != "" {
		return fmt.Sprintf("unknown field %q in %s", name, section)
	}
	return fmt.Sprintf("unknown field %q", name)
}

// sectionOf returns the YAML key of the Config section whose type is named
// typ, or "" for Config itself and unknown names.
func sectionOf(typ string) string {
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Name() == typ {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			return name
		}
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
