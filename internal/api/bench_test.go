package api

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkHandlePost measures the handler's own cost for a valid POST
// (strict parse, validation, envelope, record, publish, advance) with the
// store and the publisher in memory.
func BenchmarkHandlePost(b *testing.B) {
	body := launchWith(`"tags":{"team":"platform","env":"dev"},"subnetId":"subnet-0a1b2c3d4e5f60718","keyName":"deploy-key","securityGroupIds":["sg-0123456789abcdef0"],"userData":"IyEvYmluL3NoCmVjaG8gaGVsbG8K"`)
	h, err := New(testConfig(), Deps{
		Publisher: &discardPublisher{}, Store: newMemStore(),
		Logger: slog.New(slog.DiscardHandler), Clock: time.Now,
	})
	if err != nil {
		b.Fatal(err)
	}
	req := postReq(body)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h.Handle(ctx, req)
		if err != nil || resp.StatusCode != 202 {
			b.Fatalf("%d %v %s", resp.StatusCode, err, resp.Body)
		}
	}
}
