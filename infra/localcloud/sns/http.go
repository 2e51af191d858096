package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// HTTP/S delivery runs in the background, as SNS's does: Publish answers
// once the deliveries are queued. A few workers post them, each attempt
// bounded by SNS's 15-second timeout; a failed attempt is retried on the
// subscription's delivery policy from a timer, holding no worker while it
// waits; the last failure sends the message to the subscription's
// dead-letter queue. Reset and Close stop it all.

const (
	// httpWorkers bounds the posts in flight.
	httpWorkers = 8
	// httpQueueSize bounds the deliveries waiting for a worker; past it a
	// delivery fails at once, as if the endpoint had refused it.
	httpQueueSize = 10000
	// httpTimeout is how long SNS waits for an endpoint's answer.
	httpTimeout = 15 * time.Second
	// userAgent is the User-Agent of SNS's posts.
	userAgent = "Amazon Simple Notification Service Agent"
	// maxResponseDrain is how much of an endpoint's answer is read so
	// that the connection can be reused.
	maxResponseDrain = 64 << 10
)

// httpSender posts deliveries to HTTP/S endpoints.
type httpSender struct {
	client *http.Client
	start  sync.Once
	queue  chan *httpDelivery

	mu      sync.Mutex
	gen     *generation
	closed  bool
	workers sync.WaitGroup
}

// httpDelivery is one message for one endpoint, with its retries.
type httpDelivery struct {
	gen      *generation
	endpoint string
	header   http.Header
	body     string
	retry    retryPolicy
	retries  int // made so far
	// delivered runs when an attempt succeeds, exhausted when the last
	// one failed.
	delivered, exhausted func()
}

func newHTTPSender(client *http.Client) *httpSender {
	if client == nil {
		client = &http.Client{
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				MaxIdleConnsPerHost: httpWorkers,
				IdleConnTimeout:     90 * time.Second,
				TLSHandshakeTimeout: 10 * time.Second,
			},
			// An answer of 3xx counts as delivered (SNS retries only
			// below 200 and from 500): follow no redirect.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &httpSender{client: client, queue: make(chan *httpDelivery, httpQueueSize), gen: newGeneration()}
}

// send queues d for its first attempt. It reports false when the sender
// is closed or its queue is full.
func (h *httpSender) send(d *httpDelivery) bool {
	h.start.Do(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.closed {
			return
		}
		for range httpWorkers {
			h.workers.Add(1)
			go h.work()
		}
	})
	h.mu.Lock()
	d.gen = h.gen
	h.mu.Unlock()
	return h.enqueue(d)
}

func (h *httpSender) enqueue(d *httpDelivery) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || d.gen.isStopped() {
		return false
	}
	select {
	case h.queue <- d:
		return true
	default:
		return false
	}
}

func (h *httpSender) work() {
	defer h.workers.Done()
	for d := range h.queue {
		h.attempt(d)
	}
}

// attempt posts d once and decides what follows: done, a retry later, or
// the dead-letter queue.
func (h *httpSender) attempt(d *httpDelivery) {
	if !d.gen.begin() {
		return // reset or closed since it was queued
	}
	defer d.gen.end()
	err := h.post(d.gen.ctx, d)
	switch {
	case err == nil:
		if d.delivered != nil {
			d.delivered()
		}
	case d.gen.ctx.Err() != nil:
		// Stopped mid-attempt: the message goes nowhere, as with the
		// rest of the state Reset wipes.
	case d.retries >= d.retry.NumRetries:
		if d.exhausted != nil {
			d.exhausted()
		}
	default:
		d.retries++
		d.gen.after(d.retry.delay(d.retries), func() {
			if !h.enqueue(d) && d.exhausted != nil && !d.gen.isStopped() {
				d.exhausted()
			}
		})
	}
}

// post makes one attempt. SNS counts an answer from 200 to 499 as
// delivered, anything else, a timeout or no answer as a failure.
func (h *httpSender) post(ctx context.Context, d *httpDelivery) error {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.endpoint, strings.NewReader(d.body))
	if err != nil {
		return fmt.Errorf("post to %s: %w", d.endpoint, err)
	}
	for k, v := range d.header {
		req.Header[k] = v
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", d.endpoint, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseDrain)) //nolint:errcheck // only to reuse the connection
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 499 {
		return fmt.Errorf("post to %s: %s", d.endpoint, resp.Status)
	}
	return nil
}

// reset stops every delivery queued, waiting or in flight, and waits for
// the attempts in flight to return; later sends start afresh.
func (h *httpSender) reset() {
	h.mu.Lock()
	old := h.gen
	h.gen = newGeneration()
	h.mu.Unlock()
	old.stop()
}

// close stops every delivery and the workers.
func (h *httpSender) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.queue)
	old := h.gen
	h.mu.Unlock()
	old.stop()
	h.workers.Wait()
}

// generation is the deliveries sent between two resets: stopping it
// cancels their attempts and retry timers together.
type generation struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	stopped bool
	timers  map[*time.Timer]struct{}
	active  sync.WaitGroup // attempts in flight
}

func newGeneration() *generation {
	ctx, cancel := context.WithCancel(context.Background())
	return &generation{ctx: ctx, cancel: cancel, timers: map[*time.Timer]struct{}{}}
}

func (g *generation) isStopped() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stopped
}

// begin registers an attempt, unless the generation stopped.
func (g *generation) begin() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return false
	}
	g.active.Add(1)
	return true
}

func (g *generation) end() { g.active.Done() }

// after runs fn after d unless the generation stops first.
func (g *generation) after(d time.Duration, fn func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		g.mu.Lock()
		_, live := g.timers[t]
		delete(g.timers, t)
		g.mu.Unlock()
		if live {
			fn()
		}
	})
	g.timers[t] = struct{}{}
}

func (g *generation) stop() {
	g.mu.Lock()
	g.stopped = true
	for t := range g.timers {
		t.Stop()
	}
	clear(g.timers)
	g.mu.Unlock()
	g.cancel()
	g.active.Wait()
}

// confirmation is the JSON document of a SubscriptionConfirmation.
type confirmation struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token"`
	TopicARN         string `json:"TopicArn"`
	Message          string `json:"Message"`
	SubscribeURL     string `json:"SubscribeURL"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
}

// subscribeURL is the link that confirms a subscription: SNS's
// ConfirmSubscription in its query form, on the emulator's endpoint, as
// SNS's is on its own. The ARN and the token need no escaping.
func (s *Service) subscribeURL(topicARN, token string) string {
	return s.opts.BaseURL + "/?Action=ConfirmSubscription&TopicArn=" + topicARN + "&Token=" + token
}

// newConfirmation builds and signs the SubscriptionConfirmation of a
// subscription to topicARN.
func (s *Service) newConfirmation(topicARN, token, signatureVersion string) *confirmation {
	k := s.signer()
	c := &confirmation{
		Type:      "SubscriptionConfirmation",
		MessageID: awsproto.UUID(),
		Token:     token,
		TopicARN:  topicARN,
		Message: "You have chosen to subscribe to the topic " + topicARN +
			".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     s.subscribeURL(topicARN, token),
		Timestamp:        snsTimestamp(s.opts.Clock()),
		SignatureVersion: signatureVersion,
		SigningCertURL:   s.signingCertURL(k),
	}
	c.Signature = k.sign(signatureVersion, confirmationStringToSign(c))
	return c
}

// requestConfirmationHTTP posts a SubscriptionConfirmation to an HTTP/S
// endpoint, retried on the subscription's delivery policy.
func (s *Service) requestConfirmationHTTP(tg target, topicARN, token string) {
	c := s.newConfirmation(topicARN, token, tg.signatureVersion)
	header := http.Header{}
	header.Set("x-amz-sns-message-type", c.Type)
	header.Set("x-amz-sns-message-id", c.MessageID)
	header.Set("x-amz-sns-topic-arn", topicARN)
	header.Set("Content-Type", tg.http.contentType)
	header.Set("User-Agent", userAgent)
	s.http.send(&httpDelivery{endpoint: tg.endpoint, header: header, body: encodeJSON(c), retry: tg.http.retry})
}

// deliverHTTP queues m for an HTTP/S subscription: the signed envelope, or
// the bare message with x-amz-sns-rawdelivery (SNS sends no message
// attributes then).
func (s *Service) deliverHTTP(t *topic, tg target, m *message) {
	s.counters.Op("Deliver").Calls.Add(1)
	text := m.textFor(tg.protocol)
	body, dlqAttrs := text, m.attrs
	if !tg.raw {
		body, dlqAttrs = s.envelope(t, tg, m, text), nil
	}
	if s.takeDeliveryFault(tg) {
		s.deliveryFailed(t, tg, m, body, dlqAttrs)
		return
	}
	header := http.Header{}
	header.Set("x-amz-sns-message-type", "Notification")
	header.Set("x-amz-sns-message-id", m.id)
	header.Set("x-amz-sns-topic-arn", t.ARN)
	header.Set("x-amz-sns-subscription-arn", tg.subARN)
	header.Set("Content-Type", tg.http.contentType)
	header.Set("User-Agent", userAgent)
	if tg.raw {
		header.Set("x-amz-sns-rawdelivery", "true")
	}
	d := &httpDelivery{endpoint: tg.endpoint, header: header, body: body, retry: tg.http.retry,
		delivered: func() { s.counters.Resource(tg.subARN).Out.Add(1) },
		exhausted: func() { s.deliveryFailed(t, tg, m, body, dlqAttrs) },
	}
	if !s.http.send(d) {
		s.deliveryFailed(t, tg, m, body, dlqAttrs)
	}
}

// encodeJSON encodes a message document as SNS does, leaving <, > and &
// unescaped.
func encodeJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Documents of strings always encode.
		panic(fmt.Errorf("encode sns message: %w", err))
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// snsTimestamp formats t as SNS's messages do.
func snsTimestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
