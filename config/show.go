package config

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Placeholders shown instead of secret values.
const (
	// RedactedValue replaces a secret that is set.
	RedactedValue = "[redacted]"
	// UnsetValue stands for a secret that is not set, in ShowYAML.
	UnsetValue = "(unset)"
)

// Redacted returns a copy of c in which every non-empty secret is replaced by
// RedactedValue. The copy shares no memory with c.
func (c Config) Redacted() Config {
	c.Accounts = slices.Clone(c.Accounts)
	for _, v := range EnvVars() {
		if !v.Secret {
			continue
		}
		if p := v.str(&c); *p != "" {
			*p = RedactedValue
		}
	}
	return c
}

// ShowYAML renders the effective configuration as YAML for "verbatim config
// show". Secret fields are included, each as RedactedValue or UnsetValue,
// never in clear; every field with an environment override carries its
// variable's name in a comment.
func (c Config) ShowYAML() ([]byte, error) {
	r := c.Redacted()
	var root yaml.Node
	if err := root.Encode(r); err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	for _, v := range EnvVars() {
		path := strings.Split(v.Field, ".")
		parent := &root
		for _, k := range path[:len(path)-1] {
			_, parent = mappingPair(parent, k)
			if parent == nil {
				return nil, fmt.Errorf("config: show: no section for %s", v.Field)
			}
		}
		last := path[len(path)-1]
		if v.Secret {
			value := *v.str(&r)
			if value == "" {
				value = UnsetValue
			}
			parent.Content = append(parent.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: last},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
		}
		key, _ := mappingPair(parent, last)
		if key == nil {
			return nil, fmt.Errorf("config: show: no field %s", v.Field)
		}
		key.LineComment = "# " + v.Name
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// mappingPair returns the key and value nodes of key in mapping m, or nils.
func mappingPair(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}
