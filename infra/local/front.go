package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

// HTTPHandler is an API Gateway HTTP API (payload format 2.0) function.
type HTTPHandler func(context.Context, lambdaevents.APIGatewayV2HTTPRequest) (lambdaevents.APIGatewayV2HTTPResponse, error)

// Route is one HttpApi event of the template: a method and a path with
// {param} segments, or Path "$default".
type Route struct {
	Method string // "ANY" matches every method
	Path   string
}

// LocalIdentity is the caller the front reports in
// requestContext.authorizer.iam. The front checks no SigV4 signature (it
// listens on loopback only); deployed, API Gateway authenticates the caller
// with IAM and fills in the real identity.
var LocalIdentity = lambdaevents.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{
	AccessKey: "LOCALACCESSKEY",
	AccountID: "123456789012",
	CallerID:  "LOCALCALLER",
	UserARN:   "arn:aws:iam::123456789012:user/local",
	UserID:    "LOCALCALLER",
}

// maxPayload is API Gateway's 10 MB request payload limit.
const maxPayload = 10 << 20

// Front turns HTTP requests into APIGatewayV2HTTPRequest events for one
// function and writes its responses back, as `sam local start-api` does.
type Front struct {
	fn       *Function
	handler  HTTPHandler
	routes   []Route
	identity lambdaevents.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription
	logger   *slog.Logger
	observe  func(RequestOutcome)
}

// RequestOutcome describes one request through the front, for logging.
type RequestOutcome struct {
	Method, Path string
	Status       int
	// Location is the response's Location header, if any.
	Location     string
	AWSRequestID string
	Took         time.Duration
}

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		writeGatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > maxPayload {
		writeGatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	route, params, ok := matchRoute(f.routes, r.Method, r.URL.EscapedPath())
	if !ok {
		// No route and no $default: API Gateway's own answer.
		writeGatewayError(w, http.StatusNotFound, "Not Found")
		return
	}
	ev := f.event(r, route, params, body, start)

	if !f.fn.tryAcquire() {
		// A synchronous invoke over the function's concurrency is
		// throttled: API Gateway answers 429 then 503 after retries;
		// 503 is what the caller sees.
		writeGatewayError(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	resp, reqID, err := invoke(r.Context(), f.fn, func(ctx context.Context) (lambdaevents.APIGatewayV2HTTPResponse, error) {
		return f.handler(ctx, ev)
	})
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	if err != nil {
		f.logger.Error("api function failed", "function", f.fn.Name, "aws_request_id", reqID, "error", err)
		status = http.StatusInternalServerError
		writeGatewayError(w, status, "Internal Server Error")
	} else if werr := writeResponse(w, resp); werr != nil {
		f.logger.Error("bad function response", "function", f.fn.Name, "aws_request_id", reqID, "error", werr)
		status = http.StatusInternalServerError
	}
	if f.observe != nil {
		f.observe(RequestOutcome{Method: r.Method, Path: r.URL.Path, Status: status, Location: w.Header().Get("Location"), AWSRequestID: reqID, Took: time.Since(start)})
	}
}

// event builds the payload format 2.0 request.
func (f *Front) event(r *http.Request, route string, params map[string]string, body []byte, at time.Time) lambdaevents.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = make(map[string]string, len(q))
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	identity := f.identity
	ev := lambdaevents.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: lambdaevents.APIGatewayV2HTTPRequestContext{
			RouteKey:   route,
			AccountID:  identity.AccountID,
			Stage:      "$default",
			RequestID:  fmt.Sprintf("local-%d", at.UnixNano()),
			APIID:      "local",
			DomainName: r.Host,
			Authorizer: &lambdaevents.APIGatewayV2HTTPRequestContextAuthorizerDescription{IAM: &identity},
			Time:       at.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  at.UnixMilli(),
			HTTP: lambdaevents.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		// API Gateway passes text bodies as they are and base64-encodes
		// everything else.
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || mt == "application/x-www-form-urlencoded" || mt == "application/javascript"
}

// writeResponse writes a payload format 2.0 response. A response whose
// body is not valid base64 while claiming to be is a function error.
func writeResponse(w http.ResponseWriter, resp lambdaevents.APIGatewayV2HTTPResponse) error {
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			writeGatewayError(w, http.StatusInternalServerError, "Internal Server Error")
			return fmt.Errorf("response body is not base64: %w", err)
		}
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" && len(body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// writeGatewayError answers as API Gateway does when it, not the function,
// produces the response.
func writeGatewayError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

// matchRoute finds the route for a request as API Gateway does: the most
// specific matching route wins, then $default.
func matchRoute(routes []Route, method, path string) (routeKey string, params map[string]string, ok bool) {
	best, bestScore := "", -1
	var bestParams map[string]string
	hasDefault := false
	for _, rt := range routes {
		if rt.Path == "$default" {
			hasDefault = true
			continue
		}
		if rt.Method != "ANY" && !strings.EqualFold(rt.Method, method) {
			continue
		}
		p, score, ok := matchPath(rt.Path, path)
		if !ok {
			continue
		}
		if rt.Method != "ANY" {
			score++ // an exact method beats ANY on the same path
		}
		if score > bestScore {
			best, bestScore, bestParams = strings.ToUpper(rt.Method)+" "+rt.Path, score, p
		}
	}
	if bestScore >= 0 {
		return best, bestParams, true
	}
	if hasDefault {
		return "$default", nil, true
	}
	return "", nil, false
}

// matchPath matches a path against a template with {name} and {name+}
// segments; literal segments score higher than parameters.
func matchPath(tmpl, path string) (map[string]string, int, bool) {
	ts := strings.Split(strings.Trim(tmpl, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	score := 0
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "+}") {
			if i >= len(ps) {
				return nil, 0, false
			}
			params[strings.TrimSuffix(t[1:], "+}")] = strings.Join(ps[i:], "/")
			return params, score, true
		}
		if i >= len(ps) {
			return nil, 0, false
		}
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if ps[i] == "" {
				return nil, 0, false
			}
			params[t[1:len(t)-1]] = ps[i]
			continue
		}
		if t != ps[i] {
			return nil, 0, false
		}
		score += 2
	}
	if len(ps) != len(ts) {
		return nil, 0, false
	}
	if len(params) == 0 {
		params = nil
	}
	return params, score, true
}
