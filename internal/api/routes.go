package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

// launchesPath is the collection; a launch request is under it.
const launchesPath = "/launches"

// A route is one operation: a method on a path pattern whose {name}
// segment, if any, matches any one segment and is passed as a path
// parameter, as API Gateway passes it.
//
// net/http's ServeMux is not used: a GET pattern there also serves HEAD
// and lists HEAD in Allow, and its 404 and 405 are plain text written to
// a ResponseWriter.
type route struct {
	method, pattern string
	serve           func(h *Handler, ctx context.Context, log *slog.Logger, req lambdaevents.APIGatewayV2HTTPRequest) lambdaevents.APIGatewayV2HTTPResponse
}

// routes are the template's HttpApi events.
var routes = []route{
	{http.MethodPost, launchesPath, (*Handler).post},
	{http.MethodGet, launchesPath, (*Handler).list},
	{http.MethodGet, launchesPath + "/{requestId}", (*Handler).get},
}

// dispatch answers req by its route: the one API Gateway matched
// (RouteKey), else (the $default route, or a local front that sets none)
// the one matching method and path, so that any path reaching us is
// answered, 404 and 405 included.
func (h *Handler) dispatch(ctx context.Context, log *slog.Logger, req lambdaevents.APIGatewayV2HTTPRequest) lambdaevents.APIGatewayV2HTTPResponse {
	method, path := req.RequestContext.HTTP.Method, requestPath(req)
	if !canonical(path) {
		// Refused rather than cleaned: one resource is not reachable under
		// many paths, and the caller learns why nothing matched.
		return notFound("no such route: the path has an empty, . or .. segment, or an escaped /")
	}
	var allow []string
	for _, r := range routes {
		value, matched := r.match(path)
		switch {
		case req.RouteKey == r.method+" "+r.pattern, matched && method == r.method:
			return r.serve(h, ctx, log, withParam(req, r.param(), value))
		case matched:
			allow = append(allow, r.method)
		}
	}
	if len(allow) > 0 {
		return methodNotAllowed(method, strings.Join(allow, ", "))
	}
	return notFound("no such route")
}

// withParam passes the segment a route's {name} matched as API Gateway
// passes it for the routes it matches itself.
func withParam(req lambdaevents.APIGatewayV2HTTPRequest, name, value string) lambdaevents.APIGatewayV2HTTPRequest {
	if _, given := req.PathParameters[name]; name != "" && !given {
		req.PathParameters = map[string]string{name: value}
	}
	return req
}

// match reports whether path fits the pattern, and the segment its {name}
// matched.
func (r route) match(path string) (string, bool) {
	pattern, value := r.pattern, ""
	for {
		pseg, prest, pmore := strings.Cut(pattern, "/")
		seg, rest, more := strings.Cut(path, "/")
		switch {
		case pmore != more:
			return "", false
		case strings.HasPrefix(pseg, "{"):
			value = seg
		case pseg != seg:
			return "", false
		}
		if !more {
			return value, true
		}
		pattern, path = prest, rest
	}
}

// param names the pattern's {name} segment, or is "".
func (r route) param() string {
	_, after, _ := strings.Cut(r.pattern, "{")
	name, _, _ := strings.Cut(after, "}")
	return name
}

// canonical reports whether path is as routing compares it: absolute,
// without an empty segment (but a trailing one), a "." or ".." segment,
// escaped or not, or an escaped slash.
func canonical(path string) bool {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return false
	}
	for more := true; more; {
		var seg string
		seg, rest, more = strings.Cut(rest, "/")
		if seg == "" && more {
			return false
		}
		s, err := url.PathUnescape(seg)
		if err != nil || s == "." || s == ".." || strings.Contains(s, "/") {
			return false
		}
	}
	return true
}

// requestPath is the path the caller asked for. With a named stage (not
// $default) API Gateway puts the stage in rawPath; our routes do not
// include it.
func requestPath(req lambdaevents.APIGatewayV2HTTPRequest) string {
	p := req.RawPath
	if p == "" {
		p = req.RequestContext.HTTP.Path
	}
	if st := req.RequestContext.Stage; st != "" && st != "$default" {
		if rest, ok := strings.CutPrefix(p, "/"+st); ok && (rest == "" || rest[0] == '/') {
			p = rest
		}
	}
	return p
}

func notFound(msg string) lambdaevents.APIGatewayV2HTTPResponse {
	return errorResponse(&apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: msg})
}

func methodNotAllowed(method, allow string) lambdaevents.APIGatewayV2HTTPResponse {
	resp := errorResponse(&apiError{
		Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
		Message: fmt.Sprintf("method %s is not allowed here; use %s", method, allow),
	})
	resp.Headers["Allow"] = allow
	return resp
}
