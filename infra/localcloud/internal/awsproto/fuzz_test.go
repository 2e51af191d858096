package awsproto

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fuzz targets of the protocol layer. Each runs its seeds under
// testdata/fuzz/<name> on every go test: the requests the SDKs send,
// hostile ones, and the crashers found. Their common invariants: no
// panic; a refusal is an *Error with a 4xx status in the protocol's own
// vocabulary; decoding takes memory in proportion to the input; and what
// is accepted encodes and decodes back to itself.

// fuzzWire is an input with every kind of member the services declare:
// optional scalars, lists, maps, nested structures, blobs,
// raw JSON (DynamoDB's items) and untyped documents (CloudWatch's
// members it refuses when present).
type fuzzWire struct {
	QueueURL   *string           `json:"QueueUrl,omitempty"`
	MaxResults *int              `json:"MaxResults,omitempty"`
	Threshold  *float64          `json:"Threshold,omitempty"`
	Enabled    *bool             `json:"Enabled,omitempty"`
	Names      []string          `json:"AttributeNames,omitempty"`
	Attributes map[string]string `json:"Attributes,omitempty"`
	Entries    []fuzzEntry       `json:"Entries,omitempty"`
	Blob       []byte            `json:"Blob,omitempty"`
	Item       json.RawMessage   `json:"Item,omitempty"`
	Document   any               `json:"Document,omitempty"`
}

type fuzzEntry struct {
	ID    string            `json:"Id"`
	Delay int32             `json:"DelaySeconds,omitempty"`
	Tags  map[string]string `json:"Tags,omitempty"`
}

// fuzzCBORWire is fuzzWire for CBOR, plus a timestamp: JSON 1.0 carries
// timestamps as epoch numbers the services read themselves, CBOR as tag 1.
type fuzzCBORWire struct {
	fuzzWire
	When *time.Time `json:"When,omitempty"`
}

// heapAllocated is the bytes allocated on the heap so far. Small
// allocations are counted when their span is handed back, so a reading
// may lag by a span per size class: the bound below leaves room for it.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// checkBounded fails when fn allocates more than a fixed allowance plus a
// constant factor of the n input bytes: decoding must never let a few
// bytes announce a large allocation.
func checkBounded(t *testing.T, what string, n int, fn func()) {
	t.Helper()
	const perByte, slack = 512, 4 << 20
	before := heapAllocated()
	fn()
	if got := heapAllocated() - before; got > uint64(slack+perByte*n) {
		t.Fatalf("%s of %d bytes allocated %d bytes", what, n, got)
	}
}

// checkRefusal checks that a decoder's refusal is the client's fault,
// under the code the protocol uses for what cannot be read.
func checkRefusal(t *testing.T, e *Error, codes ...string) {
	t.Helper()
	if e.Status < 400 || e.Status > 499 || !slices.Contains(codes, e.Code) || e.Message == "" {
		t.Fatalf("refusal %d %q %q, want a 4xx with one of %v and a message", e.Status, e.Code, e.Message, codes)
	}
}

func FuzzJSON10Decode(f *testing.F) {
	f.Add([]byte(`{"QueueUrl":"http://127.0.0.1:4566/000000000000/q","MaxResults":10,"AttributeNames":["All"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in fuzzWire
		var e *Error
		checkBounded(t, "decoding JSON", len(body), func() { e = JSON10{}.decode(&request{body: body}, &in) })
		if e != nil {
			checkRefusal(t, e, "SerializationException")
			return
		}
		if len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
			t.Fatalf("accepted %q, which is not one JSON value", body)
		}
		// What was read writes back as JSON that reads as the same input,
		// and a second trip changes nothing.
		first, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("accepted input does not marshal: %v", err)
		}
		var again fuzzWire
		if e := decodeJSON(first, &again); e != nil {
			t.Fatalf("re-encoded input %s is refused: %v", first, e)
		}
		second, err := json.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("JSON round trip is not stable:\n%s\n%s", first, second)
		}
	})
}

func FuzzCBORDecode(f *testing.F) {
	seed, err := MarshalCBOR(fuzzCBORWire{fuzzWire: fuzzWire{Names: []string{"a"}, Attributes: map[string]string{"k": "v"},
		Entries: []fuzzEntry{{ID: "1", Tags: map[string]string{"t": "v"}}}, Blob: []byte{0, 255}, Document: map[string]any{"x": 1.5}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, body []byte) {
		var in fuzzCBORWire
		var e *Error
		checkBounded(t, "decoding CBOR", len(body), func() { e = CBOR{}.decode(&request{body: body}, &in) })
		if e != nil {
			checkRefusal(t, e, "SerializationException")
			return
		}
		first, err := MarshalCBOR(in)
		if err != nil {
			// Only a value the decoder made can fail here.
			t.Fatalf("accepted input does not marshal: %v", err)
		}
		var again fuzzCBORWire
		if err := UnmarshalCBOR(first, &again); err != nil {
			t.Fatalf("re-encoded input %x is refused: %v", first, err)
		}
		second, err := MarshalCBOR(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("CBOR round trip is not stable:\n%x\n%x", first, second)
		}
	})
}

// FuzzQueryDecode reads a query request's form (a body and a URL query)
// and its lists and maps as the services' FromQuery methods do.
func FuzzQueryDecode(f *testing.F) {
	f.Add("Action=SetTopicAttributes&Version=2010-03-31&Attributes.entry.1.key=a&Attributes.entry.1.value=b&Tags.member.2=x", "X-Amz-Date=20250101T000000Z")
	f.Fuzz(func(t *testing.T, body, rawQuery string) {
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/", RawQuery: rawQuery},
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
		var form Form
		var err error
		checkBounded(t, "reading a form", len(body)+len(rawQuery), func() { form, err = parseForm(r, []byte(body)) })
		if err != nil {
			checkRefusal(t, malformed(Query{}, err), "MalformedQueryString")
			return
		}
		// The form writes back as a query that reads as the same form.
		back, err := url.ParseQuery(url.Values(form).Encode())
		if err != nil || !reflect.DeepEqual(Form(back), form) {
			t.Fatalf("form %v encodes as %q, which reads as %v (%v)", form, url.Values(form).Encode(), back, err)
		}

		prefixes := map[string]bool{"Tags.member": true, "Attributes.entry": true, "AttributeName": true, "Entries.member.1.Tags.member": true}
		for key := range form {
			// A prefix the input itself uses, so lists the fuzzer invents
			// are read too.
			if i := strings.LastIndexByte(key, '.'); i > 0 && len(prefixes) < 8 {
				prefixes[key[:i]] = true
			}
		}
		for p := range prefixes {
			checkLists(t, form, p)
		}
		for _, name := range []string{"MaxResults", "DryRun", "Action"} {
			if _, _, e := form.Int(name); e != nil {
				checkRefusal(t, e, "InvalidParameterValue")
			}
			if _, e := form.Bool(name); e != nil {
				checkRefusal(t, e, "InvalidParameterValue")
			}
		}
		in := &fuzzQueryInput{}
		if e := decodeQuery("2010-03-31", &request{form: form, op: form.Get("Action")}, in); e != nil {
			checkRefusal(t, e, "InvalidAction", "InvalidParameterValue")
		}
	})
}

// checkLists reads prefix as a list and as a map, and checks what each
// reader promises.
func checkLists(t *testing.T, form Form, prefix string) {
	t.Helper()
	idx, e := form.Indexes(prefix)
	if e != nil {
		checkRefusal(t, e, "InvalidParameterValue")
		return
	}
	if len(idx) > MaxListMembers {
		t.Fatalf("%d members of %s, more than %d", len(idx), prefix, MaxListMembers)
	}
	// The members the form has, read from its keys independently of
	// Indexes: one pass, as lists may have a thousand members.
	members := map[string]bool{}
	for key := range form {
		if rest, ok := strings.CutPrefix(key, prefix+"."); ok {
			num, _, _ := strings.Cut(rest, ".")
			members[num] = true
		}
	}
	for i, n := range idx {
		if n < 1 || (i > 0 && n <= idx[i-1]) {
			t.Fatalf("indexes of %s %v are not increasing from 1", prefix, idx)
		}
		if !members[strconv.Itoa(n)] {
			t.Fatalf("index %d of %s names no parameter of %v", n, prefix, form)
		}
	}
	if len(idx) != len(members) {
		t.Fatalf("%s has members %v, Indexes read %v", prefix, members, idx)
	}
	list, e := form.List(prefix)
	if e != nil {
		checkRefusal(t, e, "InvalidParameterValue")
	} else if len(list) != len(idx) {
		t.Fatalf("list %s has %d members for %d indexes", prefix, len(list), len(idx))
	}
	m, e := form.Map(prefix, "key", "value")
	if e != nil {
		t.Fatalf("Map refused %s after Indexes accepted it: %v", prefix, e)
	}
	if len(m) > len(idx) {
		t.Fatalf("map %s has %d entries for %d indexes", prefix, len(m), len(idx))
	}
}

// fuzzQueryInput reads a form as the services' inputs do.
type fuzzQueryInput struct {
	Names      []string
	Attributes map[string]string
	Entries    [][]string
	Max        int
	DryRun     bool
}

func (in *fuzzQueryInput) FromQuery(f Form) (e *Error) {
	if in.Names, e = f.List("AttributeName"); e != nil {
		return e
	}
	if in.Attributes, e = f.Map("Attributes.entry", "key", "value"); e != nil {
		return e
	}
	if e = f.Each("Entries.member", func(m string) *Error {
		tags, e := f.List(m + ".Tags.member")
		in.Entries = append(in.Entries, tags)
		return e
	}); e != nil {
		return e
	}
	if in.Max, _, e = f.Int("MaxResults"); e != nil {
		return e
	}
	in.DryRun, e = f.Bool("DryRun")
	return e
}

// fuzzOutput is an answer every protocol can write.
type fuzzOutput struct {
	EC2Result
	Text  string       `json:"Text" xml:"text"`
	Names List[string] `json:"Names" xml:"names"`
	Count int          `json:"Count" xml:"count"`
}

func (in *fuzzWire) FromQuery(f Form) (e *Error) {
	in.Names, e = f.List("AttributeNames.member")
	if e != nil {
		return e
	}
	in.Attributes, e = f.Map("Attributes.entry", "key", "value")
	return e
}

func fuzzService(name string, maxBody int64, protocols ...Protocol) *Service {
	return &Service{Name: name, Protocols: protocols, MaxBody: maxBody, Ops: []Operation{
		Op("Echo", func(_ context.Context, in *fuzzWire) (*fuzzOutput, *Error) {
			out := &fuzzOutput{Names: List[string]{Members: in.Names}, Count: len(in.Entries)}
			if in.QueueURL != nil {
				out.Text = *in.QueueURL
			}
			return out, nil
		}),
		Op("Refuse", func(context.Context, *fuzzWire) (*fuzzOutput, *Error) {
			return nil, Errorf(http.StatusBadRequest, "InvalidParameterValue", "refused <&>")
		}),
	}}
}

// fuzzRouter routes the four protocols with small body limits, so that
// the fuzzer reaches them.
func fuzzRouter() *Router {
	return NewRouter(Limits{MaxJSONBody: 4 << 10, MaxCBORBody: 4 << 10, MaxQueryBody: 4 << 10, SmallBody: 1 << 10, BodyBudget: 1 << 20},
		fuzzService("sqs", 0, JSON10{TargetPrefix: "AmazonSQS", ErrorNamespace: "com.amazonaws.sqs", QueryCompatible: true}),
		fuzzService("monitoring", 2<<10, CBOR{ServiceName: "GraniteServiceVersion20100801", QueryCompatible: true},
			JSON10{TargetPrefix: "GraniteServiceVersion20100801", BodyCRC32: true}),
		fuzzService("sns", 0, Query{Version: "2010-03-31", Namespace: "http://sns.amazonaws.com/doc/2010-03-31/"}),
		fuzzService("ec2", 2<<10, EC2Query{Version: "2016-11-15", Namespace: "http://ec2.amazonaws.com/doc/2016-11-15/"}),
	)
}

// FuzzRouter sends whole requests through the router: whatever the
// method, path, headers and body, the answer is a success or a 4xx in a
// protocol's own format, and every body's budget is given back.
func FuzzRouter(f *testing.F) {
	f.Add("POST", "/", "AmazonSQS.Echo", "application/x-amz-json-1.0", "", "", []byte(`{"QueueUrl":"q"}`), false)
	rt := fuzzRouter()
	f.Fuzz(func(t *testing.T, method, path, target, contentType, auth, rawQuery string, body []byte, chunked bool) {
		r := (&http.Request{
			Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery},
			Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		}).WithContext(context.Background())
		if chunked {
			r.ContentLength = -1
		}
		for name, v := range map[string]string{"X-Amz-Target": target, "Content-Type": contentType, "Authorization": auth} {
			if v != "" {
				r.Header.Set(name, v)
			}
		}
		if strings.HasPrefix(path, "/service/") {
			r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		}
		w := &recorder{header: http.Header{}}
		rt.ServeHTTP(w, r)
		if used := rt.bodies.used.Load(); used != 0 {
			t.Fatalf("%d budget bytes still held after the answer", used)
		}
		if w.status != http.StatusOK && (w.status < 400 || w.status > 499) {
			t.Fatalf("status %d: %s", w.status, w.body.Bytes())
		}
		if w.header.Get("x-amzn-RequestId") == "" {
			t.Fatal("answer without x-amzn-RequestId")
		}
		checkAnswer(t, w)
	})
}

// checkAnswer checks that an answer reads in the format its content type
// names, and that an error names its code as that protocol does.
func checkAnswer(t *testing.T, w *recorder) {
	t.Helper()
	body := w.body.Bytes()
	failed := w.status != http.StatusOK
	switch ct := w.header.Get("Content-Type"); ct {
	case jsonContentType:
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("JSON answer does not read: %v: %q", err, body)
		}
		if typ, _ := doc["__type"].(string); failed && typ == "" {
			t.Fatalf("JSON error without __type: %s", body)
		}
	case cborContentType:
		var doc map[string]any
		if err := UnmarshalCBOR(body, &doc); err != nil {
			t.Fatalf("CBOR answer does not read: %v: %x", err, body)
		}
		if typ, _ := doc["__type"].(string); failed && typ == "" {
			t.Fatalf("CBOR error without __type: %x", body)
		}
	case "text/xml", ec2ContentType:
		dec := xml.NewDecoder(bytes.NewReader(body))
		codes := 0
		var inCode bool
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("XML answer does not read: %v: %s", err, body)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				inCode = tok.Name.Local == "Code"
			case xml.CharData:
				if inCode && len(bytes.TrimSpace(tok)) > 0 {
					codes++
				}
			case xml.EndElement:
				inCode = false
			}
		}
		if failed && codes != 1 {
			t.Fatalf("XML error with %d codes: %s", codes, body)
		}
	default:
		t.Fatalf("answer of type %q: %q", ct, body)
	}
}

// recorder is a ResponseWriter for the fuzzer, lighter than httptest's.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
