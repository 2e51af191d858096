package awsproto

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Router tells which service and operation each request is for, reads
// its body within the Limits, and hands it to the service; a request it
// cannot route gets an error in the protocol it came in.
type Router struct {
	bodies   bodies
	services []*Service
	json     map[string]route // by X-Amz-Target prefix
	cbor     map[string]route // by service name in the path
	version  map[string]route // query, by Version
	signing  map[string]route // query, by signing name
	queries  []route
}

type route struct {
	svc   *Service
	proto Protocol
}

// NewRouter routes requests to services. It panics if two services claim
// the same target prefix, CBOR service name, query version or signing
// name, a mistake in the program.
func NewRouter(limits Limits, services ...*Service) *Router {
	rt := &Router{json: map[string]route{}, cbor: map[string]route{}, version: map[string]route{}, signing: map[string]route{}}
	rt.bodies.limits = limits.orDefault()
	claim := func(m map[string]route, key string, r route) {
		if _, dup := m[key]; dup {
			panic(fmt.Sprintf("awsproto: two services answer %q", key))
		}
		m[key] = r
	}
	for _, svc := range services {
		svc.init()
		rt.services = append(rt.services, svc)
		for _, p := range svc.Protocols {
			r := route{svc, p}
			switch p := p.(type) {
			case JSON10:
				claim(rt.json, p.TargetPrefix, r)
			case CBOR:
				claim(rt.cbor, p.ServiceName, r)
			case Query:
				claim(rt.version, p.Version, r)
				claim(rt.signing, svc.Name, r)
				rt.queries = append(rt.queries, r)
			case EC2Query:
				claim(rt.version, p.Version, r)
				claim(rt.signing, svc.Name, r)
				rt.queries = append(rt.queries, r)
			}
		}
	}
	return rt
}

// ServeHTTP answers one request.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{id: UUID(), http: r}
	k, target := detect(r)
	var proto Protocol = unrouted(k)
	body, release, err := rt.bodies.read(r.Body, r.ContentLength, rt.bodies.limits.max(k))
	defer release()
	if err != nil {
		// Whatever was not read stays unread: the connection closes
		// rather than draining a body we refused.
		w.Header().Set("Connection", "close")
		if errors.Is(err, errBusy) {
			proto.writeError(w, req, busy())
		} else {
			proto.writeError(w, req, malformed(proto, err))
		}
		return
	}
	req.body = body

	var rte route
	var ok bool
	switch k {
	case kindJSON:
		req.op = target.op
		rte, ok = rt.json[target.service]
	case kindCBOR:
		req.op = target.op
		rte, ok = rt.cbor[target.service]
	case kindQuery:
		form, err := parseForm(r, body)
		if err != nil {
			if len(rt.queries) == 1 {
				rt.queries[0].proto.writeError(w, req, malformed(proto, err))
				return
			}
			proto.writeError(w, req, malformed(proto, err))
			return
		}
		req.form, req.op = form, form.Get("Action")
		target.service = signingName(r)
		rte, ok = rt.routeQuery(target.service, queryVersion(form))
	}
	if !ok {
		proto.writeError(w, req, rt.unroutable(k, target, req))
		return
	}
	if k != kindQuery && r.Method != http.MethodPost {
		rte.proto.writeError(w, req, unknownOperation(rte.proto, rte.svc.Name, r.Method+" "+req.op))
		return
	}
	rte.svc.serve(w, rte.proto, req)
}

// Service returns the routed service whose signing name is name, or nil.
func (rt *Router) Service(name string) *Service {
	for _, svc := range rt.services {
		if svc.Name == name {
			return svc
		}
	}
	return nil
}

// Services returns the routed services, in the order NewRouter had them.
func (rt *Router) Services() []*Service { return slices.Clone(rt.services) }

// routeQuery picks the query service a request is for: by the service
// its signature is for, else by API version, else the only one there is.
func (rt *Router) routeQuery(signing, version string) (route, bool) {
	if signing != "" {
		r, ok := rt.signing[signing]
		return r, ok
	}
	if version != "" {
		r, ok := rt.version[version]
		return r, ok
	}
	if len(rt.queries) == 1 {
		return rt.queries[0], true
	}
	return route{}, false
}

// target is what a request says about its service and operation.
type target struct{ service, op string }

// detect tells the protocol of a request from its headers and path.
func detect(r *http.Request) (kind, target) {
	if svc, op, ok := cborTarget(r); ok || strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor") {
		return kindCBOR, target{svc, op}
	}
	if r.Header.Get("X-Amz-Target") != "" || strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json") {
		prefix, op := jsonTarget(r)
		return kindJSON, target{prefix, op}
	}
	return kindQuery, target{}
}

// unrouted is the protocol an unroutable request is answered in:
// unqualified errors, no namespace, which every SDK of the kind reads.
func unrouted(k kind) Protocol {
	switch k {
	case kindJSON:
		return JSON10{}
	case kindCBOR:
		return CBOR{}
	}
	return Query{}
}

// unroutable says what localcloud did not understand, and what it serves.
func (rt *Router) unroutable(k kind, t target, req *request) *Error {
	var what string
	var known []string
	switch k {
	case kindJSON:
		what = fmt.Sprintf("AWS JSON target %q", req.http.Header.Get("X-Amz-Target"))
		for p := range rt.json {
			known = append(known, p)
		}
	case kindCBOR:
		what = fmt.Sprintf("RPC v2 CBOR service %q (operation %q)", t.service, t.op)
		for p := range rt.cbor {
			known = append(known, p)
		}
	default:
		switch {
		case t.service != "":
			if svc := rt.Service(t.service); svc != nil {
				// The service is here, in other protocols (CloudWatch
				// for clients older than its move from query).
				return Errorf(http.StatusBadRequest, "InvalidAction", "localcloud serves %s in %s, not in the query protocol: use a client that speaks one of them, such as a current AWS SDK or aws CLI.",
					t.service, protocolNames(svc))
			}
			what = fmt.Sprintf("query request signed for service %q", t.service)
		case req.form.Get("Version") != "":
			what = fmt.Sprintf("query API version %q", req.form.Get("Version"))
		default:
			what = "query request without Version or signature"
		}
		for _, r := range rt.queries {
			known = append(known, r.svc.Name)
		}
	}
	sort.Strings(known)
	served := "nothing"
	if len(known) > 0 {
		served = strings.Join(known, ", ")
	}
	code := "UnknownOperationException"
	if k == kindQuery {
		code = "InvalidAction"
	}
	return Errorf(http.StatusBadRequest, code, "localcloud cannot route this request: it does not emulate the %s; in this protocol it serves %s.", what, served)
}

// signingName returns the service a SigV4 Authorization header is scoped
// to (Credential=AKID/20250101/us-east-1/sns/aws4_request), or "".
func signingName(r *http.Request) string {
	_, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	scope, _, _ := strings.Cut(after, ",")
	parts := strings.Split(scope, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// parseForm reads the parameters of a query request: those of the URL
// and, for a form body, those of the body read within its limit.
func parseForm(r *http.Request, body []byte) (Form, error) {
	form := url.Values{}
	ct := r.Header.Get("Content-Type")
	if len(body) > 0 && (ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded")) {
		var err error
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, fmt.Errorf("form body: %w", err)
		}
	}
	// Body values first, as net/http's ParseForm orders them.
	fromURL, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("URL query: %w", err)
	}
	for k, v := range fromURL {
		form[k] = append(form[k], v...)
	}
	return Form(form), nil
}
