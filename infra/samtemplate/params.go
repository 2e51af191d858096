package samtemplate

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// ParseOverrides parses SAM CLI style --parameter-overrides:
// "Key=Value Key2=Value2", or the CloudFormation form
// "ParameterKey=Key,ParameterValue=Value …". A value may be quoted with
// double or single quotes to hold spaces; a value may itself hold '=' and ','.
func ParseOverrides(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, tok := range splitFields(s) {
		key, value, ok := strings.Cut(tok, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("parameter override %q is not Key=Value", tok)
		}
		if key == "ParameterKey" {
			k, rest, ok := strings.Cut(value, ",ParameterValue=")
			if !ok || k == "" {
				return nil, fmt.Errorf("parameter override %q is not ParameterKey=K,ParameterValue=V", tok)
			}
			key, value = k, rest
		}
		out[key] = unquote(value)
	}
	return out, nil
}

// splitFields splits on unquoted whitespace.
func splitFields(s string) []string {
	var fields []string
	var cur strings.Builder
	var quote rune
	inField := false
	for _, r := range s {
		switch {
		case quote != 0:
			cur.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
			cur.WriteRune(r)
			inField = true
		case r == ' ' || r == '\t' || r == '\n':
			if inField {
				fields = append(fields, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if inField {
		fields = append(fields, cur.String())
	}
	return fields
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// bindParameters applies overrides over defaults and validates every value
// against its declared constraints, as CloudFormation does before it
// creates anything.
func (t *Template) bindParameters(overrides map[string]string) (map[string]string, error) {
	for _, k := range sortedKeys(overrides) {
		if _, ok := t.Parameter(k); !ok {
			return nil, fmt.Errorf("parameter override %s: no such parameter in the template", k)
		}
	}
	values := make(map[string]string, len(t.Parameters))
	for _, p := range t.Parameters {
		v, ok := overrides[p.Name]
		if !ok {
			if p.Default == nil {
				return nil, fmt.Errorf("parameter %s: no value and no default", p.Name)
			}
			v = *p.Default
		}
		if err := p.Validate(v); err != nil {
			return nil, err
		}
		values[p.Name] = v
	}
	return values, nil
}

// Validate checks a value against the parameter's type and constraints.
func (p Parameter) Validate(v string) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("parameter %s=%q: %s", p.Name, v, fmt.Sprintf(format, args...))
	}
	items := []string{v}
	if p.isList() {
		items = strings.Split(v, ",")
		if v == "" {
			items = nil
		}
	}
	for _, item := range items {
		if p.isNumber() {
			f, err := toFloat(item)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return fail("not a number")
			}
			if p.MinValue != nil && f < *p.MinValue {
				return fail("below MinValue %v", *p.MinValue)
			}
			if p.MaxValue != nil && f > *p.MaxValue {
				return fail("above MaxValue %v", *p.MaxValue)
			}
		}
	}
	if len(p.AllowedValues) > 0 && !slices.Contains(p.AllowedValues, v) {
		return fail("not one of %v", p.AllowedValues)
	}
	if p.AllowedPattern != "" {
		re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
		if err != nil {
			return fmt.Errorf("parameter %s: AllowedPattern: %w", p.Name, err)
		}
		if !re.MatchString(v) {
			return fail("does not match AllowedPattern %s", p.AllowedPattern)
		}
	}
	if p.MinLength != nil && len(v) < *p.MinLength {
		return fail("shorter than MinLength %d", *p.MinLength)
	}
	if p.MaxLength != nil && len(v) > *p.MaxLength {
		return fail("longer than MaxLength %d", *p.MaxLength)
	}
	return nil
}

func (p Parameter) isNumber() bool {
	return p.Type == "Number" || p.Type == "List<Number>"
}

func (p Parameter) isList() bool {
	return p.Type == "CommaDelimitedList" || strings.HasPrefix(p.Type, "List<")
}
