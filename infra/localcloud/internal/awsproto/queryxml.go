package awsproto

import (
	"bytes"
	"encoding/xml"
	"maps"
	"net/http"
	"slices"
)

// Answers of the query protocols. Outputs are marshalled by their xml
// tags inside the envelope each variant wants.

func (p Query) writeResult(w http.ResponseWriter, req *request, out any) {
	var b bytes.Buffer
	b.WriteString(`<` + req.op + `Response xmlns="` + p.Namespace + `">`)
	// Always a Result element, even empty: the SDKs' deserializers of
	// operations without output (TagResource…) look for it.
	result := xml.StartElement{Name: xml.Name{Local: req.op + "Result"}}
	if out == nil {
		out = struct{}{}
	}
	if err := xml.NewEncoder(&b).EncodeElement(out, result); err != nil {
		p.writeError(w, req, Internal(err))
		return
	}
	b.WriteString(`<ResponseMetadata><RequestId>` + req.id + `</RequestId></ResponseMetadata></` + req.op + `Response>`)
	writeXML(w, req, "text/xml", http.StatusOK, b.Bytes())
}

func (p Query) writeError(w http.ResponseWriter, req *request, e *Error) {
	writeQueryError(w, req, p.Namespace, e)
}

// writeQueryError writes the awsQuery error document; unrouted query
// requests get it too, as every query SDK reads it.
func writeQueryError(w http.ResponseWriter, req *request, namespace string, e *Error) {
	var b bytes.Buffer
	b.WriteString(`<ErrorResponse`)
	if namespace != "" {
		b.WriteString(` xmlns="` + namespace + `"`)
	}
	b.WriteString(`><Error><Type>` + e.fault() + `</Type><Code>`)
	_ = xml.EscapeText(&b, []byte(e.Query()))
	b.WriteString(`</Code><Message>`)
	_ = xml.EscapeText(&b, []byte(e.Message))
	b.WriteString(`</Message></Error><RequestId>` + req.id + `</RequestId></ErrorResponse>`)
	writeXML(w, req, "text/xml", e.Status, b.Bytes())
}

// EC2Result is embedded in every EC2Query output: EC2 answers its request
// id inside the result, and the layer fills it in.
type EC2Result struct {
	RequestID string `xml:"requestId"`
}

func (r *EC2Result) setRequestID(id string) { r.RequestID = id }

type requestIDSetter interface{ setRequestID(string) }

const ec2ContentType = "text/xml;charset=UTF-8"

func (p EC2Query) writeResult(w http.ResponseWriter, req *request, out any) {
	if out == nil {
		out = &EC2Result{}
	}
	if s, ok := out.(requestIDSetter); ok {
		s.setRequestID(req.id)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	start := xml.StartElement{Name: xml.Name{Local: req.op + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: p.Namespace}}}
	if err := xml.NewEncoder(&b).EncodeElement(out, start); err != nil {
		p.writeError(w, req, Internal(err))
		return
	}
	writeXML(w, req, ec2ContentType, http.StatusOK, b.Bytes())
}

func (EC2Query) writeError(w http.ResponseWriter, req *request, e *Error) {
	doc := struct {
		XMLName   xml.Name `xml:"Response"`
		Code      string   `xml:"Errors>Error>Code"`
		Message   string   `xml:"Errors>Error>Message"`
		RequestID string   `xml:"RequestID"`
	}{Code: e.Query(), Message: e.Message, RequestID: req.id}
	body, _ := xml.Marshal(doc) // strings only: cannot fail
	writeXML(w, req, ec2ContentType, e.Status, append([]byte(xml.Header), body...))
}

func writeXML(w http.ResponseWriter, req *request, contentType string, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("x-amzn-RequestId", req.id)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// List is a query list: <member>s in a wrapper element that is there
// even when the list is empty, as AWS writes it.
type List[T any] struct {
	Members []T `xml:"member"`
}

// Map is a query map of strings: <entry><key/><value/></entry>s, keys
// sorted so answers are stable.
type Map map[string]string

// MarshalXML writes the map's entries inside start.
func (m Map) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	type entry struct {
		Key   string `xml:"key"`
		Value string `xml:"value"`
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := e.EncodeElement(entry{k, m[k]}, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
