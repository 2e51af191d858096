package sns

import (
	"encoding/xml"
	"sort"
	"strings"
)

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// el appends <name>value</name> with value escaped.
func el(b *strings.Builder, name, value string) {
	b.WriteString("<" + name + ">")
	b.WriteString(escape(value))
	b.WriteString("</" + name + ">")
}

// attributesXML renders an attribute map as SNS does: <Attributes><entry>
// <key>…</key><value>…</value></entry>…</Attributes>, keys sorted.
func attributesXML(attrs map[string]string) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("<Attributes>")
	for _, k := range keys {
		b.WriteString("<entry>")
		el(&b, "key", k)
		el(&b, "value", attrs[k])
		b.WriteString("</entry>")
	}
	b.WriteString("</Attributes>")
	return b.String()
}
