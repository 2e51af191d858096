package samtemplate

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// shortForms maps the YAML short-form tags to the long-form keys
// CloudFormation accepts in JSON, so the evaluator sees a single shape.
var shortForms = map[string]string{
	"!Ref":         "Ref",
	"!Condition":   "Condition",
	"!GetAtt":      "Fn::GetAtt",
	"!Sub":         "Fn::Sub",
	"!Join":        "Fn::Join",
	"!Select":      "Fn::Select",
	"!Split":       "Fn::Split",
	"!If":          "Fn::If",
	"!Equals":      "Fn::Equals",
	"!And":         "Fn::And",
	"!Or":          "Fn::Or",
	"!Not":         "Fn::Not",
	"!FindInMap":   "Fn::FindInMap",
	"!Base64":      "Fn::Base64",
	"!GetAZs":      "Fn::GetAZs",
	"!ImportValue": "Fn::ImportValue",
	"!Cidr":        "Fn::Cidr",
	"!Transform":   "Fn::Transform",
}

// decodeNode turns a YAML node into plain Go values (map[string]any, []any,
// string, bool, int, float64, nil) with every short-form tag rewritten as its
// long form: `!GetAtt Queue.Arn` becomes {"Fn::GetAtt": ["Queue", "Arn"]}.
func decodeNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return decodeNode(n.Content[0])
	case yaml.AliasNode:
		return decodeNode(n.Alias)
	}
	if key, ok := shortForms[n.Tag]; ok {
		return decodeShortForm(key, n)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			v, err := decodeNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := decodeNode(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		return decodeScalar(n)
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

func decodeScalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return b, nil
	case "!!int":
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			var f float64
			if derr := n.Decode(&f); derr != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, err)
			}
			return f, nil
		}
		return int(i), nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return f, nil
	default:
		return n.Value, nil
	}
}

func decodeShortForm(key string, n *yaml.Node) (any, error) {
	// Decode the node's content as if it carried no tag.
	plain := *n
	plain.Tag = ""
	switch n.Kind {
	case yaml.ScalarNode:
		plain.Tag = "!!str"
	case yaml.MappingNode:
		plain.Tag = "!!map"
	case yaml.SequenceNode:
		plain.Tag = "!!seq"
	}
	v, err := decodeNode(&plain)
	if err != nil {
		return nil, err
	}
	if key == "Fn::GetAtt" {
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q is not Resource.Attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
	}
	if key == "Fn::GetAZs" && v == nil {
		v = ""
	}
	return map[string]any{key: v}, nil
}
