package sns

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
)

// maxListIndex bounds the member/entry indexes a request may use, so a
// hostile request cannot make the parser allocate without limit.
const maxListIndex = 1000

// query is a parsed query-protocol request: flattened members such as
// Attributes.entry.1.key or Tags.member.2.Value.
type query url.Values

func (q query) get(key string) string { return url.Values(q).Get(key) }

func (q query) has(key string) bool {
	_, ok := q[key]
	return ok
}

// indexes returns, in order, the distinct N of keys "<prefix>.N" and
// "<prefix>.N.<rest>".
func (q query) indexes(prefix string) []int {
	seen := map[int]bool{}
	p := prefix + "."
	for k := range q {
		rest, ok := strings.CutPrefix(k, p)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > maxListIndex {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// stringMap reads a query map such as Attributes.entry.N.key/value. A
// repeated key keeps its last value, as SNS does.
func (q query) stringMap(prefix, keyName, valueName string) map[string]string {
	idx := q.indexes(prefix)
	if len(idx) == 0 {
		return nil
	}
	m := make(map[string]string, len(idx))
	for _, n := range idx {
		base := prefix + "." + strconv.Itoa(n) + "."
		m[q.get(base+keyName)] = q.get(base + valueName)
	}
	return m
}

// list reads a query list such as TagKeys.member.N.
func (q query) list(prefix string) []string {
	var out []string
	for _, n := range q.indexes(prefix) {
		out = append(out, q.get(prefix+"."+strconv.Itoa(n)))
	}
	return out
}

// tags reads Tags.member.N.Key/Value (or another prefix) in order.
func (q query) tags(prefix string) []tag {
	var out []tag
	for _, n := range q.indexes(prefix) {
		base := prefix + "." + strconv.Itoa(n) + "."
		out = append(out, tag{Key: q.get(base + "Key"), Value: q.get(base + "Value")})
	}
	return out
}

type tag struct{ Key, Value string }

// rawAttribute is a message attribute as the request spelled it, before
// validation.
type rawAttribute struct {
	name, dataType, stringValue, binaryValue string
	hasString, hasBinary                     bool
}

// messageAttributes reads <prefix>.entry.N.Name / .Value.DataType /
// .Value.StringValue / .Value.BinaryValue.
func (q query) messageAttributes(prefix string) []rawAttribute {
	var out []rawAttribute
	for _, n := range q.indexes(prefix + ".entry") {
		base := prefix + ".entry." + strconv.Itoa(n) + "."
		out = append(out, rawAttribute{
			name:        q.get(base + "Name"),
			dataType:    q.get(base + "Value.DataType"),
			stringValue: q.get(base + "Value.StringValue"),
			binaryValue: q.get(base + "Value.BinaryValue"),
			hasString:   q.has(base + "Value.StringValue"),
			hasBinary:   q.has(base + "Value.BinaryValue"),
		})
	}
	return out
}

// decodeBinary decodes a BinaryValue the way the query protocol carries
// it: standard base64.
func decodeBinary(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(s)
}

// binaryAttribute builds the shared attribute type.
func binaryAttribute(dataType string, b []byte) awsmsg.Attribute {
	return awsmsg.Attribute{DataType: dataType, BinaryValue: b}
}
