// Package faults describes the errors localcloud can be told to inject:
// a Fault makes the next calls of one operation of one service answer an
// AWS error code, a Delivery makes SNS's deliveries to one endpoint fail.
// It parses and prints their specs, the syntax of the --fail and
// --fail-delivery flags and of the emulator's runtime fault API, and
// knows the HTTP status AWS answers each common error code with.
package faults

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// UntilCleared is the Count of a rule that holds until it is cleared,
// written * in a spec.
const UntilCleared = -1

// Fault makes the next Count calls of Operation of Service answer Code.
type Fault struct {
	// Service is the service's signing name: sqs, sns, ec2, sts, dynamodb…
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Code      string `json:"code"`
	// Message is the error's message; empty picks one.
	Message string `json:"message,omitempty"`
	// Count is how many more calls fail, or UntilCleared.
	Count int `json:"count"`
}

// Delivery makes the next Count SNS deliveries to Endpoint fail, as if
// the endpoint refused them through all of SNS's retries: each goes to
// its subscription's dead-letter queue, if it has one.
type Delivery struct {
	// Endpoint names the subscription endpoint: an SQS queue's ARN or
	// name, or the subscription's ARN.
	Endpoint string `json:"endpoint"`
	// Count is how many more deliveries fail, or UntilCleared.
	Count int `json:"count"`
}

// Set is a list of faults of both kinds, as flags or the runtime API
// give them.
type Set struct {
	Faults     []Fault    `json:"faults"`
	Deliveries []Delivery `json:"deliveries"`
}

// Empty reports whether s holds no rule.
func (s Set) Empty() bool { return len(s.Faults) == 0 && len(s.Deliveries) == 0 }

// Parse reads SERVICE:Operation:Code:N, e.g.
// sqs:SendMessage:ServiceUnavailable:3; N is a positive count or * for
// until cleared. Whether the service and operation exist is for the
// emulator to say, which knows what it serves.
func Parse(spec string) (Fault, error) {
	parts := strings.Split(spec, ":")
	if len(parts) != 4 {
		return Fault{}, fmt.Errorf("fault %q: want SERVICE:Operation:Code:N, e.g. sqs:SendMessage:ServiceUnavailable:3", spec)
	}
	f := Fault{Service: parts[0], Operation: parts[1], Code: parts[2]}
	var err error
	if f.Count, err = parseCount(parts[3]); err != nil {
		return Fault{}, fmt.Errorf("fault %q: %w", spec, err)
	}
	if err := f.Check(); err != nil {
		return Fault{}, fmt.Errorf("fault %q: %w", spec, err)
	}
	return f, nil
}

// Check reports what is malformed in f, if anything.
func (f Fault) Check() error {
	switch {
	case f.Service == "":
		return errors.New("empty service")
	case !isName(f.Service, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' }):
		return fmt.Errorf("service %q: want a lowercase signing name such as sqs, sns, ec2", f.Service)
	case f.Operation == "":
		return errors.New("empty operation")
	case !isName(f.Operation, isAlnum):
		return fmt.Errorf("operation %q: want an operation name such as SendMessage", f.Operation)
	case f.Code == "":
		return errors.New("empty error code")
	case !isName(f.Code, func(r rune) bool { return isAlnum(r) || r == '.' || r == '_' || r == '-' }):
		return fmt.Errorf("error code %q: want a code such as ServiceUnavailable or InvalidAMIID.NotFound", f.Code)
	}
	return checkCount(f.Count)
}

// String returns f's spec.
func (f Fault) String() string {
	return f.Service + ":" + f.Operation + ":" + f.Code + ":" + formatCount(f.Count)
}

// ParseDelivery reads ENDPOINT:N, e.g. my-queue:2 or
// arn:aws:sqs:us-east-1:000000000000:my-queue:*; the count follows the
// last colon, since ARNs hold colons themselves.
func ParseDelivery(spec string) (Delivery, error) {
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return Delivery{}, fmt.Errorf("delivery fault %q: want ENDPOINT:N, e.g. my-queue:2", spec)
	}
	d := Delivery{Endpoint: spec[:i]}
	var err error
	if d.Count, err = parseCount(spec[i+1:]); err != nil {
		return Delivery{}, fmt.Errorf("delivery fault %q: %w", spec, err)
	}
	if err := d.Check(); err != nil {
		return Delivery{}, fmt.Errorf("delivery fault %q: %w", spec, err)
	}
	return d, nil
}

// Check reports what is malformed in d, if anything.
func (d Delivery) Check() error {
	if d.Endpoint == "" {
		return errors.New("empty endpoint: want a queue ARN or name")
	}
	if strings.ContainsFunc(d.Endpoint, func(r rune) bool { return r <= ' ' }) {
		return fmt.Errorf("endpoint %q: want a queue ARN or name, without spaces", d.Endpoint)
	}
	return checkCount(d.Count)
}

// String returns d's spec.
func (d Delivery) String() string { return d.Endpoint + ":" + formatCount(d.Count) }

// Matches reports whether d is for a delivery to endpoint (a queue ARN)
// of the subscription subARN: by the ARN, the queue's name (the ARN's
// last field) or the subscription's ARN.
func (d Delivery) Matches(endpoint, subARN string) bool {
	if d.Endpoint == endpoint || d.Endpoint == subARN {
		return true
	}
	i := strings.LastIndexByte(endpoint, ':')
	return i >= 0 && d.Endpoint == endpoint[i+1:]
}

func parseCount(s string) (int, error) {
	if s == "*" {
		return UntilCleared, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || !isName(s, func(r rune) bool { return r >= '0' && r <= '9' }) {
		return 0, fmt.Errorf("count %q: want a positive integer, or * for until cleared", s)
	}
	return n, nil
}

func checkCount(n int) error {
	if n < 1 && n != UntilCleared {
		return fmt.Errorf("count %d: want a positive integer, or UntilCleared", n)
	}
	return nil
}

func formatCount(n int) string {
	if n == UntilCleared {
		return "*"
	}
	return strconv.Itoa(n)
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func isName(s string, ok func(rune) bool) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return !ok(r) })
}

// statuses are the HTTP statuses AWS answers common error codes with,
// where they are not 400. Throttling and limit codes
// (ThrottlingException, Throttling, ProvisionedThroughputExceededException,
// RequestLimitExceeded, LimitExceededException, RequestThrottled,
// KMSThrottlingException…) are 400 on the JSON and query services, as
// is any code not listed; EC2, whose statuses differ (RequestLimitExceeded
// is 503 there), declares its own.
var statuses = map[string]int{
	"InternalError":               http.StatusInternalServerError,
	"InternalFailure":             http.StatusInternalServerError,
	"InternalServerError":         http.StatusInternalServerError,
	"InternalServiceError":        http.StatusInternalServerError,
	"ServiceUnavailable":          http.StatusServiceUnavailable,
	"ServiceUnavailableException": http.StatusServiceUnavailable,
	"Unavailable":                 http.StatusServiceUnavailable,
	"TooManyRequestsException":    http.StatusTooManyRequests,
	// SNS's throttling error: ThrottledException in its model, Throttled
	// on the query wire.
	"Throttled":            http.StatusTooManyRequests,
	"ThrottledException":   http.StatusTooManyRequests,
	"AuthorizationError":   http.StatusForbidden,
	"InvalidClientTokenId": http.StatusForbidden,
	"OptInRequired":        http.StatusForbidden,
	"AccessDenied":         http.StatusForbidden,
	"NotFound":             http.StatusNotFound,
}

// Status returns the HTTP status AWS answers code with: 500 and 503 for
// its own failures, 429 for the codes it throttles with that status, 400
// for throttling and limit codes that are client errors on the wire, and
// for any code it does not know.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// DefaultMessage is the message of an injected error that was given
// none: it says the error was injected, so nobody hunts for a real cause.
func DefaultMessage(code string) string {
	return "localcloud injected this " + code + " error (fault injection)"
}

// Rule is a kind of injected failure: an API fault or a delivery fault.
type Rule interface{ Fault | Delivery }

// Pending holds the rules of one kind waiting to fail calls, consumed in
// the order they were added. It is safe for concurrent use.
type Pending[R Rule] struct {
	mu    sync.Mutex
	rules []R
}

// Add queues r; a rule with a zero Count does nothing.
func (p *Pending[R]) Add(r R) {
	if *count(&r) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, r)
}

// List returns the pending rules, with their counts left.
func (p *Pending[R]) List() []R {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.rules)
}

// Clear drops every pending rule.
func (p *Pending[R]) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// Take consumes one use of the first pending rule that matches, and
// returns it as it was before.
func (p *Pending[R]) Take(match func(R) bool) (R, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.IndexFunc(p.rules, match)
	if i < 0 {
		var none R
		return none, false
	}
	r := p.rules[i]
	if n := count(&p.rules[i]); *n != UntilCleared {
		if *n--; *n == 0 {
			p.rules = slices.Delete(p.rules, i, i+1)
		}
	}
	return r, true
}

// count is a rule's Count, which both kinds have.
func count[R Rule](r *R) *int {
	switch r := any(r).(type) {
	case *Fault:
		return &r.Count
	case *Delivery:
		return &r.Count
	}
	panic("faults: unknown rule kind")
}
