package awsproto

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Form is a query-protocol request: its parameters, with every list and
// map flattened into numbered keys (Tags.member.1.Key, InstanceId.2,
// Attributes.entry.3.value).
type Form url.Values

// MaxListMembers bounds how many members one list or map of a request may
// have, so that a hostile request cannot make a reader work without limit.
const MaxListMembers = 1000

// Get returns the first value of key, or "".
func (f Form) Get(key string) string { return url.Values(f).Get(key) }

// Has reports whether the request carries key, even with an empty value.
func (f Form) Has(key string) bool {
	_, ok := f[key]
	return ok
}

// Indexes returns, in increasing order, the distinct N of the keys
// "<prefix>.N" and "<prefix>.N.<rest>". Indexes are decimal, from 1,
// without leading zeros, at most MaxListMembers of them: anything else is
// an InvalidParameterValue, as AWS answers.
func (f Form) Indexes(prefix string) ([]int, *Error) {
	seen := map[int]bool{}
	p := prefix + "."
	for key := range f {
		rest, ok := strings.CutPrefix(key, p)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || num[0] == '0' || num[0] == '+' {
			return nil, Errorf(http.StatusBadRequest, "InvalidParameterValue", "Invalid list index in parameter %s", key)
		}
		seen[n] = true
		if len(seen) > MaxListMembers {
			return nil, Errorf(http.StatusBadRequest, "InvalidParameterValue", "Too many members in list %s", prefix)
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// Each calls fn with the key prefix of every member of the list prefix
// ("<prefix>.N"), in index order.
func (f Form) Each(prefix string, fn func(member string) *Error) *Error {
	idx, e := f.Indexes(prefix)
	if e != nil {
		return e
	}
	for _, n := range idx {
		if e := fn(prefix + "." + strconv.Itoa(n)); e != nil {
			return e
		}
	}
	return nil
}

// List reads the list of strings prefix.1, prefix.2, …; a member with
// parts (prefix.1.x) where a string belongs is refused.
func (f Form) List(prefix string) ([]string, *Error) {
	var out []string
	e := f.Each(prefix, func(member string) *Error {
		if !f.Has(member) {
			return Errorf(http.StatusBadRequest, "InvalidParameterValue", "Unexpected parameter under %s", prefix)
		}
		out = append(out, f.Get(member))
		return nil
	})
	return out, e
}

// Map reads a map flattened as <prefix>.N.<keyName> and
// <prefix>.N.<valueName> (Attributes.entry.N.key/value); a repeated key
// keeps its last value.
func (f Form) Map(prefix, keyName, valueName string) (map[string]string, *Error) {
	var out map[string]string
	e := f.Each(prefix, func(member string) *Error {
		if out == nil {
			out = map[string]string{}
		}
		out[f.Get(member+"."+keyName)] = f.Get(member + "." + valueName)
		return nil
	})
	return out, e
}

// Bool reads an optional boolean (true/false in any case).
func (f Form) Bool(name string) (bool, *Error) {
	v, ok := f[name]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(v[0]) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidValue(name, v[0])
}

// Int reads an optional integer; ok is false when it is absent.
func (f Form) Int(name string) (n int, ok bool, e *Error) {
	v, ok := f[name]
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return 0, true, invalidValue(name, v[0])
	}
	return n, true, nil
}

func invalidValue(param, value string) *Error {
	return Errorf(http.StatusBadRequest, "InvalidParameterValue", "Invalid value '%s' for %s.", value, param)
}

// Query is the query protocol (awsQuery): a form with Action and
// Version, answered with <OpResponse><OpResult>…</OpResult>
// <ResponseMetadata/></OpResponse> in Namespace.
type Query struct {
	Version   string // 2010-03-31
	Namespace string // http://sns.amazonaws.com/doc/2010-03-31/
}

// EC2Query is EC2's variant of the query protocol: results sit directly
// under <OpResponse> with a requestId, and errors are
// <Response><Errors><Error>.
type EC2Query struct {
	Version   string
	Namespace string
}

func (Query) kind() kind    { return kindQuery }
func (EC2Query) kind() kind { return kindQuery }

func (p Query) decode(req *request, in any) *Error    { return decodeQuery(p.Version, req, in) }
func (p EC2Query) decode(req *request, in any) *Error { return decodeQuery(p.Version, req, in) }

// decodeQuery refuses another API version than the service's, whose
// operations may differ, and lets the input read itself.
func decodeQuery(version string, req *request, in any) *Error {
	if v := req.form.Get("Version"); v != "" && v != version {
		return Errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", req.op, v)
	}
	return in.(QueryInput).FromQuery(req.form)
}

// queryVersion returns the Version a form names.
func queryVersion(f Form) string { return f.Get("Version") }
