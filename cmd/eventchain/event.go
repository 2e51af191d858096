package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/event/fixture"
)

// eventUsage is `eventchain event -h`.
const eventUsage = `usage: eventchain event <kind> [flags]

Prints an event in the shape Lambda hands it to a function, as
sam local generate-event does, for eventchain invoke -e or sam local invoke -e.
Ids and times the flags do not give derive from --seed and --time, so the
same command prints the same bytes.

kinds:
  sqs       an SQS batch of a consumer's queue, raw-delivered from the events topic:
            each --type starts a record carrying an event of the catalog in a valid
            envelope with the message attributes our publishers set; each --raw starts a
            record that is no event. The flags after either describe that record.
  api       an API Gateway HTTP API request (payload format 2.0), signed with IAM,
            routed as the template's HttpApi routes route it
  fixtures  write every fixture of events/ from its command (make events);
            --list prints the commands, --check only compares

Run "eventchain event <kind> -h" for its flags.
`

// runEvent is `eventchain event`.
func runEvent(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, eventUsage)
		return errors.New("want a kind: sqs, api or fixtures")
	}
	switch args[0] {
	case "sqs":
		ev, err := sqsEvent(args[1:], stderr)
		if err != nil {
			return err
		}
		return writeEvent(stdout, func() ([]byte, error) { return marshalEvent(ev) })
	case "api":
		ev, err := apiEvent(args[1:], stderr)
		if err != nil {
			return err
		}
		return writeEvent(stdout, func() ([]byte, error) { return fixture.EncodeHTTPRequest(ev) })
	case "fixtures":
		return runEventFixtures(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, eventUsage)
		return flag.ErrHelp
	}
	fmt.Fprint(stderr, eventUsage)
	return fmt.Errorf("unknown kind %q: want sqs, api or fixtures", args[0])
}

func writeEvent(w io.Writer, encode func() ([]byte, error)) error {
	b, err := encode()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// marshalEvent writes an event as the fixtures hold it: indented, with
// <, > and & as they are (a fixture is read by people too), and a final
// newline.
func marshalEvent(ev any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ev); err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return buf.Bytes(), nil
}

// eventFlagSet is the flag set of one kind of event, with its own usage.
func eventFlagSet(kind, about string, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("event "+kind, stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: eventchain event %s [flags]\n\n%s\n\nflags:\n", kind, about)
		fs.PrintDefaults()
	}
	return fs
}

// eventCommon are the flags every kind takes.
type eventCommon struct {
	template string
	seed     uint64
	clock    time.Time
}

func (c *eventCommon) register(fs *flag.FlagSet) {
	c.clock = fixture.DefaultClock
	fs.StringVar(&c.template, "template", local.DefaultTemplate, "SAM `template` naming the queues, routes and region")
	fs.Uint64Var(&c.seed, "seed", 1, "`number` every id the flags do not give derives from")
	fs.Func("time", "`when` Lambda or API Gateway received the event, RFC 3339 (default "+fixture.DefaultClock.Format(time.RFC3339)+")", func(v string) error {
		t, err := time.Parse(time.RFC3339Nano, v)
		c.clock = t
		return err
	})
}

// resolve reads the template with the local mode's names (ARNs do not
// depend on the endpoint).
func (c *eventCommon) resolve() (*samtemplate.Resolved, error) {
	t, err := samtemplate.Load(c.template)
	if err != nil {
		return nil, err
	}
	r, err := t.Resolve(nil, samtemplate.LocalResolver{})
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", c.template, err)
	}
	return r, nil
}

// sqsEvent parses `event sqs` and builds its batch.
func sqsEvent(args []string, stderr io.Writer) (lambdaevents.SQSEvent, error) {
	fs := eventFlagSet("sqs", "Prints an SQS batch of the queue that consumes the first --type (or --queue), raw-delivered\nfrom the events topic. Each --type or --raw starts a record; the flags after it describe that\nrecord.", stderr)
	var common eventCommon
	common.register(fs)
	queue := fs.String("queue", "", "logical `id` of the queue the batch comes from (default: the queue of the consumer of the first --type)")
	var records []fixture.Record
	current := func(flagName string) (*fixture.Record, error) {
		if len(records) == 0 {
			return nil, fmt.Errorf("--%s describes a record: give --type or --raw first", flagName)
		}
		return &records[len(records)-1], nil
	}
	field := func(name, usage string, set func(r *fixture.Record, v string) error) {
		fs.Func(name, usage, func(v string) error {
			r, err := current(name)
			if err != nil {
				return err
			}
			return set(r, v)
		})
	}
	fs.Func("type", "start a record carrying an event of this `type` ("+strings.Join(event.Types(), ", ")+")", func(v string) error {
		records = append(records, fixture.Record{Type: v})
		return nil
	})
	fs.Func("raw", "start a record whose `body` is this text as it is (a malformed record)", func(v string) error {
		records = append(records, fixture.Record{Raw: v, IsRaw: true})
		return nil
	})
	field("data", "the event's payload, `JSON` of the type's payload (docs/events.md)", func(r *fixture.Record, v string) error {
		r.Data = json.RawMessage(v)
		return nil
	})
	field("id", "the event's `id` (default: from --seed)", func(r *fixture.Record, v string) error { r.ID = v; return nil })
	field("subject", "the event's subject, the launch request `id` (default: the payload's requestId)", func(r *fixture.Record, v string) error { r.Subject = v; return nil })
	field("correlation-id", "the event's correlation `id` (default: from --seed)", func(r *fixture.Record, v string) error { r.CorrelationID = v; return nil })
	field("causation-id", "the `id` of the event that caused this one (default: none)", func(r *fixture.Record, v string) error { r.CausationID = v; return nil })
	field("source", "the event's `source` (default: eventchain/<the type's first producer>)", func(r *fixture.Record, v string) error { r.Source = v; return nil })
	field("event-time", "`when` the event was produced, RFC 3339 (default: a second before --time)", func(r *fixture.Record, v string) error {
		t, err := time.Parse(time.RFC3339Nano, v)
		r.Time = t
		return err
	})
	field("attr", "a String message attribute `NAME=VALUE`, over those SNS delivers (repeatable)", func(r *fixture.Record, v string) error {
		name, value, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("%q: want NAME=VALUE", v)
		}
		if r.Attributes == nil {
			r.Attributes = map[string]string{}
		}
		r.Attributes[name] = value
		return nil
	})
	field("receive-count", "the record's ApproximateReceiveCount, a `count` (default 1)", func(r *fixture.Record, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%q: want a count of 1 or more", v)
		}
		r.ReceiveCount = n
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return lambdaevents.SQSEvent{}, err
	}
	if len(records) == 0 {
		return lambdaevents.SQSEvent{}, errors.New("no records: give --type TYPE --data JSON, or --raw BODY")
	}
	tmpl, err := common.resolve()
	if err != nil {
		return lambdaevents.SQSEvent{}, err
	}
	queueID := *queue
	if queueID == "" {
		if queueID, err = consumerQueue(tmpl, records); err != nil {
			return lambdaevents.SQSEvent{}, err
		}
	}
	q, ok := tmpl.Queue(queueID)
	if !ok {
		return lambdaevents.SQSEvent{}, fmt.Errorf("--queue %q: no such queue in %s", queueID, common.template)
	}
	batch := fixture.SQSBatch{Seed: common.seed, Clock: common.clock, QueueARN: q.ARN, Records: records}
	return batch.Event()
}

// consumerQueue is the queue an event source mapping of the first typed
// record's consumer reads: where SNS delivers that type.
func consumerQueue(t *samtemplate.Resolved, records []fixture.Record) (string, error) {
	i := slices.IndexFunc(records, func(r fixture.Record) bool { return !r.IsRaw })
	if i < 0 {
		return "", errors.New("only raw records: name their queue with --queue")
	}
	spec, ok := event.Lookup(records[i].Type)
	if !ok {
		return "", fmt.Errorf("event type %q is not in the catalog (%s)", records[i].Type, strings.Join(event.Types(), ", "))
	}
	for _, consumer := range spec.Consumers {
		if f, ok := t.Function(consumer); ok && len(f.SQSEvents) > 0 {
			return f.SQSEvents[0].Queue, nil
		}
	}
	return "", fmt.Errorf("no function of the template consumes %s from a queue: name one with --queue", spec.Type)
}

// apiEvent parses `event api` and builds its request.
func apiEvent(args []string, stderr io.Writer) (lambdaevents.APIGatewayV2HTTPRequest, error) {
	fs := eventFlagSet("api", "Prints an API Gateway HTTP API request (payload format 2.0), signed with IAM, routed as the\ntemplate's HttpApi routes route it.", stderr)
	var common eventCommon
	common.register(fs)
	method := fs.String("method", "GET", "HTTP `method`")
	path := fs.String("path", "/launches", "request `path`, with an optional ?query")
	body := fs.String("body", "", "request `body`")
	bodyFile := fs.String("body-file", "", "read the request body from this `file` instead")
	caller := fs.String("caller", fixture.DefaultCallerARN, "the IAM caller's `ARN` (an assumed role's session or a user)")
	apiID := fs.String("api-id", fixture.DefaultAPIID, "the HTTP API's `id`")
	headers := map[string]string{}
	fs.Func("header", "a request header, `'Name: value'` (repeatable)", func(v string) error {
		name, value, ok := strings.Cut(v, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("%q: want 'Name: value'", v)
		}
		headers[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return lambdaevents.APIGatewayV2HTTPRequest{}, err
	}
	if *bodyFile != "" {
		if *body != "" {
			return lambdaevents.APIGatewayV2HTTPRequest{}, errors.New("give --body or --body-file, not both")
		}
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return lambdaevents.APIGatewayV2HTTPRequest{}, fmt.Errorf("--body-file: %w", err)
		}
		*body = string(b)
	}
	tmpl, err := common.resolve()
	if err != nil {
		return lambdaevents.APIGatewayV2HTTPRequest{}, err
	}
	var routes []local.Route
	for _, f := range tmpl.Functions {
		routes = append(routes, local.Routes(f)...)
	}
	rawPath, _, _ := strings.Cut(*path, "?")
	routeKey, params, ok := local.MatchRoute(routes, strings.ToUpper(*method), rawPath)
	if !ok {
		return lambdaevents.APIGatewayV2HTTPRequest{}, fmt.Errorf("%s %s matches no route of %s, and it has no $default: API Gateway answers 404 without invoking a function", *method, rawPath, common.template)
	}
	req := fixture.HTTPRequest{
		Seed: common.seed, Clock: common.clock, Method: *method, Target: *path,
		RouteKey: routeKey, PathParameters: params, Headers: headers, Body: *body,
		APIID: *apiID, Region: tmpl.Region, CallerARN: *caller,
	}
	return req.Event()
}
