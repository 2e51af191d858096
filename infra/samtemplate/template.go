package samtemplate

import (
	"fmt"
	"os"
	"slices"
	"sort"

	"gopkg.in/yaml.v3"
)

// Template is a parsed SAM template, before parameters are bound. Values
// keep their intrinsic functions in long form ({"Ref": "X"}, {"Fn::Sub": …}).
type Template struct {
	// Path is the file the template was loaded from, if any.
	Path string
	// Parameters in the order the template declares them.
	Parameters []Parameter
	// Conditions by name, unevaluated.
	Conditions map[string]any
	// Mappings for Fn::FindInMap.
	Mappings map[string]any
	// Globals by section ("Function", "HttpApi", …).
	Globals map[string]map[string]any
	// Resources in the order the template declares them.
	Resources []Resource
	// Outputs in the order the template declares them.
	Outputs []Output
}

// Parameter is one entry of the template's Parameters section.
type Parameter struct {
	Name           string
	Type           string
	Default        *string
	AllowedValues  []string
	AllowedPattern string
	MinValue       *float64
	MaxValue       *float64
	MinLength      *int
	MaxLength      *int
	Description    string
}

// Resource is one entry of the Resources section.
type Resource struct {
	LogicalID  string
	Type       string
	Condition  string
	Properties map[string]any
	Metadata   map[string]any
	DependsOn  []string
}

// Output is one entry of the Outputs section.
type Output struct {
	Name        string
	Description string
	Condition   string
	Value       any
}

// Load reads and parses a template file.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	t.Path = path
	return t, nil
}

// Parse parses a template from YAML (or JSON, which is YAML) bytes.
func Parse(data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("template is not a YAML mapping")
	}
	root := doc.Content[0]
	t := &Template{
		Conditions: map[string]any{},
		Mappings:   map[string]any{},
		Globals:    map[string]map[string]any{},
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		var err error
		switch key {
		case "Parameters":
			err = eachEntry(val, func(name string, v any) error {
				p, err := parseParameter(name, v)
				if err == nil {
					t.Parameters = append(t.Parameters, p)
				}
				return err
			})
		case "Conditions":
			err = eachEntry(val, func(name string, v any) error { t.Conditions[name] = v; return nil })
		case "Mappings":
			err = eachEntry(val, func(name string, v any) error { t.Mappings[name] = v; return nil })
		case "Globals":
			err = eachEntry(val, func(name string, v any) error {
				m, ok := v.(map[string]any)
				if !ok {
					return fmt.Errorf("globals section %s is not a mapping", name)
				}
				t.Globals[name] = m
				return nil
			})
		case "Resources":
			err = eachEntry(val, func(name string, v any) error {
				r, err := parseResource(name, v)
				if err == nil {
					t.Resources = append(t.Resources, r)
				}
				return err
			})
		case "Outputs":
			err = eachEntry(val, func(name string, v any) error {
				o, err := parseOutput(name, v)
				if err == nil {
					t.Outputs = append(t.Outputs, o)
				}
				return err
			})
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	return t, nil
}

// Resource returns the resource with the given logical id.
func (t *Template) Resource(logicalID string) (Resource, bool) {
	i := slices.IndexFunc(t.Resources, func(r Resource) bool { return r.LogicalID == logicalID })
	if i < 0 {
		return Resource{}, false
	}
	return t.Resources[i], true
}

// Parameter returns the parameter with the given name.
func (t *Template) Parameter(name string) (Parameter, bool) {
	i := slices.IndexFunc(t.Parameters, func(p Parameter) bool { return p.Name == name })
	if i < 0 {
		return Parameter{}, false
	}
	return t.Parameters[i], true
}

// eachEntry decodes a mapping node entry by entry, keeping the file's order.
func eachEntry(n *yaml.Node, fn func(name string, v any) error) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: not a mapping", n.Line)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := n.Content[i].Value
		if seen[name] {
			return fmt.Errorf("line %d: duplicate %q", n.Content[i].Line, name)
		}
		seen[name] = true
		v, err := decodeNode(n.Content[i+1])
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := fn(name, v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func parseParameter(name string, v any) (Parameter, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Parameter{}, fmt.Errorf("not a mapping")
	}
	p := Parameter{Name: name}
	var err error
	if p.Type, err = scalarString(m["Type"]); err != nil || p.Type == "" {
		return p, fmt.Errorf("property Type missing or invalid")
	}
	if d, ok := m["Default"]; ok {
		s, err := scalarString(d)
		if err != nil {
			return p, fmt.Errorf("property Default: %w", err)
		}
		p.Default = &s
	}
	if av, ok := m["AllowedValues"].([]any); ok {
		for _, a := range av {
			s, err := scalarString(a)
			if err != nil {
				return p, fmt.Errorf("AllowedValues: %w", err)
			}
			p.AllowedValues = append(p.AllowedValues, s)
		}
	}
	p.AllowedPattern, _ = scalarString(m["AllowedPattern"])
	p.Description, _ = scalarString(m["Description"])
	for key, dst := range map[string]**float64{"MinValue": &p.MinValue, "MaxValue": &p.MaxValue} {
		if raw, ok := m[key]; ok {
			f, err := toFloat(raw)
			if err != nil {
				return p, fmt.Errorf("%s: %w", key, err)
			}
			*dst = &f
		}
	}
	for key, dst := range map[string]**int{"MinLength": &p.MinLength, "MaxLength": &p.MaxLength} {
		if raw, ok := m[key]; ok {
			n, err := toInt(raw)
			if err != nil {
				return p, fmt.Errorf("%s: %w", key, err)
			}
			*dst = &n
		}
	}
	return p, nil
}

func parseResource(name string, v any) (Resource, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Resource{}, fmt.Errorf("not a mapping")
	}
	r := Resource{LogicalID: name}
	typ, ok := m["Type"].(string)
	if !ok || typ == "" {
		return r, fmt.Errorf("property Type missing")
	}
	r.Type = typ
	r.Condition, _ = m["Condition"].(string)
	if p, ok := m["Properties"]; ok && p != nil {
		if r.Properties, ok = p.(map[string]any); !ok {
			return r, fmt.Errorf("property Properties is not a mapping")
		}
	}
	if r.Properties == nil {
		r.Properties = map[string]any{}
	}
	if md, ok := m["Metadata"].(map[string]any); ok {
		r.Metadata = md
	}
	switch d := m["DependsOn"].(type) {
	case string:
		r.DependsOn = []string{d}
	case []any:
		for _, x := range d {
			if s, ok := x.(string); ok {
				r.DependsOn = append(r.DependsOn, s)
			}
		}
	}
	return r, nil
}

func parseOutput(name string, v any) (Output, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Output{}, fmt.Errorf("not a mapping")
	}
	o := Output{Name: name, Value: m["Value"]}
	if _, ok := m["Value"]; !ok {
		return o, fmt.Errorf("property Value missing")
	}
	o.Description, _ = m["Description"].(string)
	o.Condition, _ = m["Condition"].(string)
	return o, nil
}

// sortedKeys returns a map's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
