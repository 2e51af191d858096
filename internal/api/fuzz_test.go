package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// Body encodings FuzzPost sends a body in.
const (
	fuzzPlain      = iota // as is
	fuzzBase64            // base64-encoded and flagged, as API Gateway sends binary bodies
	fuzzBase64Flag        // flagged base64 but sent as is: mostly not base64 at all
	fuzzModes
)

// knownCodes are the codes a refused POST may answer.
var knownCodes = map[string]bool{
	CodeMalformedJSON: true, CodeUnknownField: true, CodeWrongType: true, CodeMissingField: true,
	CodeInvalidValue: true, CodeNotAllowed: true, CodeBodyTooLarge: true, CodeUnsupportedMediaType: true,
	CodeInvalidHeader: true,
}

// codeStatus is the status of the codes not answered with 400.
var codeStatus = map[string]int{
	CodeBodyTooLarge:         http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
}

// FuzzPost sends arbitrary bodies and content types through the handler,
// as API Gateway would deliver them, over an in-memory store. Whatever
// arrives, the answer is a 202 for a launch that validates, or a 4xx with
// a JSON error naming its code; a refusal touches neither the store nor
// the topic; and what was accepted validates again, from its canonical
// form and from the event published, to the same launches.
// Its seeds are the POSTs of TestHostileRequests and, under
// testdata/fuzz/FuzzPost, the events/ fixtures' bodies, a few more, and
// the crashers found.
func FuzzPost(f *testing.F) {
	f.Add("application/json", []byte(validBody), uint8(fuzzPlain))
	f.Add("application/json; charset=utf-8", []byte(bulkOf(validBody, launchWith(`"count":2`))), uint8(fuzzBase64))
	f.Add("application/json", []byte("e30="), uint8(fuzzBase64Flag))
	// The hostile table's POSTs, but the large ones: mutating them is
	// slow, and TestHostileRequests sends them on every run anyway.
	for _, tc := range hostileCases(event.NewID()) {
		r := tc.req
		if r.RequestContext.HTTP.Method != "POST" || len(r.Body) > 8<<10 {
			continue
		}
		mode := uint8(fuzzPlain)
		if r.IsBase64Encoded {
			mode = fuzzBase64Flag
		}
		f.Add(r.Headers["content-type"], []byte(r.Body), mode)
	}
	cfg := testConfig()
	f.Fuzz(func(t *testing.T, contentType string, body []byte, mode uint8) {
		store, pub := newMemStore(), &fakePublisher{}
		h, err := New(cfg, Deps{Publisher: pub, Store: store})
		if err != nil {
			t.Fatal(err)
		}
		req := postReq(string(body))
		req.Headers["content-type"] = contentType
		switch mode % fuzzModes {
		case fuzzBase64:
			req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		case fuzzBase64Flag:
			req.IsBase64Encoded = true
		}
		resp, err := h.Handle(context.Background(), req)
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		if ct := resp.Headers["Content-Type"]; ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		if !utf8.ValidString(resp.Body) || !json.Valid([]byte(resp.Body)) {
			t.Fatalf("answer is not JSON: %q", resp.Body)
		}
		var answer struct {
			RequestID string `json:"requestId"`
			Requests  []struct {
				RequestID string `json:"requestId"`
			} `json:"requests"`
			Error *apiError `json:"error"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &answer); err != nil {
			t.Fatal(err)
		}

		if resp.StatusCode != http.StatusAccepted {
			if resp.StatusCode < 400 || resp.StatusCode > 499 {
				t.Fatalf("status %d for a request the client got wrong: %s", resp.StatusCode, resp.Body)
			}
			if answer.Error == nil || !knownCodes[answer.Error.Code] || answer.Error.Message == "" {
				t.Fatalf("refusal without a known code and a message: %s", resp.Body)
			}
			want, ok := codeStatus[answer.Error.Code]
			if !ok {
				want = http.StatusBadRequest
			}
			if resp.StatusCode != want {
				t.Fatalf("%s answered with status %d: %s", answer.Error.Code, resp.StatusCode, resp.Body)
			}
			for _, d := range answer.Error.Details {
				if !knownCodes[d.Code] || d.Message == "" || d.Field == "" {
					t.Fatalf("bulk refusal detail without a code, message and field: %s", resp.Body)
				}
			}
			// A refusal depends on the request alone (not on map order,
			// say), so a client retrying it learns the same thing.
			if again, _ := h.Handle(context.Background(), req); again.StatusCode != resp.StatusCode || again.Body != resp.Body {
				t.Fatalf("the same request answered\n%d %s\nthen\n%d %s", resp.StatusCode, resp.Body, again.StatusCode, again.Body)
			}
			if len(store.reqs) != 0 || len(store.claims) != 0 || pub.callCount() != 0 {
				t.Fatalf("a refused request changed the store (%d requests, %d claims) or published (%d calls)",
					len(store.reqs), len(store.claims), pub.callCount())
			}
			return
		}

		// Accepted: the body was a launch request, and stays one.
		decoded := body
		if mode%fuzzModes == fuzzBase64Flag {
			decoded, _ = base64.StdEncoding.DecodeString(string(body))
		}
		lr, aerr := h.validate.parse(decoded)
		if aerr != nil {
			t.Fatalf("accepted a body that does not parse: %v", aerr)
		}
		canon := lr.canonical()
		again, aerr := h.validate.parse(canon)
		if aerr != nil {
			t.Fatalf("canonical form %s does not validate: %v", canon, aerr)
		}
		if again.Bulk != lr.Bulk || !bytes.Equal(again.canonical(), canon) || mustJSON(t, again.Launches) != mustJSON(t, lr.Launches) {
			t.Fatalf("canonical form %s validates to\n%s, not\n%s", canon, mustJSON(t, again.Launches), mustJSON(t, lr.Launches))
		}

		ids := []string{answer.RequestID}
		if lr.Bulk {
			ids = ids[:0]
			for _, r := range answer.Requests {
				ids = append(ids, r.RequestID)
			}
		}
		if pub.callCount() != 1 || len(pub.calls[0]) != len(lr.Launches) || len(ids) != len(lr.Launches) {
			t.Fatalf("%d launches answered as %s, published in %d calls", len(lr.Launches), resp.Body, pub.callCount())
		}
		for i, ev := range pub.calls[0] {
			var got event.LaunchRequested
			if err := ev.DecodeData(&got); err != nil {
				t.Fatalf("published data does not decode: %v", err)
			}
			want := lr.Launches[i]
			want.RequestID = ids[i]
			if mustJSON(t, got) != mustJSON(t, want) || ev.Subject != ids[i] {
				t.Fatalf("published %s for %s, want %s", ev.Data, ev.Subject, mustJSON(t, want))
			}
			if r, err := store.Get(context.Background(), ids[i]); err != nil || r.Status != status.Accepted {
				t.Fatalf("request %s stored as %q (%v), want ACCEPTED", ids[i], r.Status, err)
			}
			// The stored envelope is what a retry republishes: it must
			// decode as the consumers will decode it.
			if _, err := event.Decode(store.reqs[ids[i]].Event); err != nil {
				t.Fatalf("stored envelope does not decode: %v", err)
			}
		}
	})
}
