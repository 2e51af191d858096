package invoke

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Runtime API paths (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
const (
	runtimeAPIPrefix = "/2018-06-01/runtime/"
	headerRequestID  = "Lambda-Runtime-Aws-Request-Id"
)

// maxResponse is Lambda's synchronous response payload limit.
const maxResponse = 6 << 20

// observer stands between the bootstrap and the RIE's Runtime API. It
// forwards every call as it is and notes when the runtime asked for its
// first event (the end of init), when it was handed each event and what
// it answered, so that durations and outcomes are the runtime's own.
type observer struct {
	proxy  *httputil.ReverseProxy
	sample func() // reads the bootstrap's memory while it is certainly alive

	mu        sync.Mutex
	firstNext time.Time
	initError *runtimeError
	served    map[string]time.Time
	results   map[string]*result
}

// result is what the runtime posted for one invocation.
type result struct {
	at   time.Time
	body []byte
	err  *runtimeError // nil for a response
}

// runtimeError is an error document the runtime posted
// ({"errorMessage", "errorType", "stackTrace"}).
type runtimeError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
	// Stack is set by aws-lambda-go only for a panic.
	Stack []json.RawMessage `json:"stackTrace"`
}

func newObserver(runtimeAPI string, sample func()) *observer {
	target := &url.URL{Scheme: "http", Host: runtimeAPI}
	o := &observer{sample: sample, served: map[string]time.Time{}, results: map[string]*result{}}
	o.proxy = &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		ModifyResponse: o.response,
		// The runtime long-polls /next; nothing is buffered.
		FlushInterval: -1,
		// The RIE stopping under a waiting /next is how every session
		// ends: the runtime is told, nobody else needs to be.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	return o
}

func (o *observer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	o.sample()
	path := strings.TrimPrefix(r.URL.Path, runtimeAPIPrefix)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		o.mu.Lock()
		if o.firstNext.IsZero() {
			o.firstNext = now
		}
		o.mu.Unlock()
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		if kind != "response" && kind != "error" {
			break
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
		if err != nil {
			http.Error(w, "read runtime post: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		res := &result{at: now, body: body}
		if kind == "error" {
			res.err = decodeRuntimeError(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"))
		}
		o.mu.Lock()
		o.results[id] = res
		o.mu.Unlock()
	case r.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponse))
		r.Body = io.NopCloser(bytes.NewReader(body))
		o.mu.Lock()
		o.initError = decodeRuntimeError(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"))
		o.mu.Unlock()
	}
	o.proxy.ServeHTTP(w, r)
}

// response notes when the RIE hands the runtime an event.
func (o *observer) response(resp *http.Response) error {
	if resp.Request.Method != http.MethodGet || resp.StatusCode != http.StatusOK ||
		strings.TrimPrefix(resp.Request.URL.Path, runtimeAPIPrefix) != "invocation/next" {
		return nil
	}
	if id := resp.Header.Get(headerRequestID); id != "" {
		o.mu.Lock()
		o.served[id] = time.Now()
		o.mu.Unlock()
	}
	return nil
}

func decodeRuntimeError(body []byte, headerType string) *runtimeError {
	e := &runtimeError{}
	if err := json.Unmarshal(body, e); err != nil || (e.Type == "" && e.Message == "") {
		e = &runtimeError{Message: strings.TrimSpace(string(body))}
	}
	if e.Type == "" {
		e.Type = headerType
	}
	return e
}

// invocation returns what the observer saw of one invocation: when the
// runtime took its event (zero if never) and what it posted (nil if
// nothing).
func (o *observer) invocation(id string) (served time.Time, res *result) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.served[id], o.results[id]
}

// initialized returns when the runtime first asked for an event (zero if
// it never did) and the init error it posted, if any.
func (o *observer) initialized() (time.Time, *runtimeError) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.firstNext, o.initError
}
