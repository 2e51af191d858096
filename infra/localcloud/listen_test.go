package localcloud_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/localcloud"
)

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		name, addr string
		want       string // "" accepts
	}{
		{name: "IPv4 loopback", addr: "127.0.0.1:4566"},
		{name: "other 127/8 address", addr: "127.0.0.2:0"},
		{name: "IPv6 loopback", addr: "[::1]:4566"},
		{name: "localhost", addr: "localhost:4566"},
		{name: "every interface", addr: "0.0.0.0:4566", want: "loopback addresses only"},
		{name: "empty host is every interface", addr: ":4566", want: "loopback addresses only"},
		{name: "IPv6 every interface", addr: "[::]:4566", want: "loopback addresses only"},
		{name: "other address", addr: "192.168.1.10:4566", want: "loopback addresses only"},
		{name: "host name", addr: "example.com:4566", want: "loopback addresses only"},
		{name: "no port", addr: "127.0.0.1", want: "missing port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := localcloud.CheckLoopback(tc.addr)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckLoopback(%q) = %v, want nil", tc.addr, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckLoopback(%q) = %v, want an error containing %q", tc.addr, err, tc.want)
			}
		})
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	cloud, srv, l, err := localcloud.Listen("0.0.0.0:0", localcloud.Options{})
	if err == nil {
		srv.Close()
		cloud.Close()
		t.Fatalf("Listen on 0.0.0.0 served on %s, want a refusal", l.Addr())
	}
	if !strings.Contains(err.Error(), "loopback addresses only") {
		t.Errorf("Listen error %v, want the loopback refusal", err)
	}
}

// TestShutdownEndsLongPolls: http.Server.Shutdown waits for requests in
// progress, and a long poll may wait 20 s; Listen's server ends long polls
// when it shuts down, so Shutdown returns promptly.
func TestShutdownEndsLongPolls(t *testing.T) {
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer func() {
		srv.Close()
		if err := cloud.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	b := backend{Endpoint: "http://" + l.Addr().String()}
	client := b.SQS()
	ctx := b.Ctx(t)
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("long-poll")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 20})
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{n: len(out.Messages)}
	}()
	// Wait until the receive has reached the server, then a little more
	// for it to start waiting.
	for deadline := time.Now().Add(5 * time.Second); ; {
		ops, _ := cloud.SQS.Counters().Snapshot()
		if ops["ReceiveMessage"].Calls == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the receive never reached the server")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Shutdown took %v with a 20 s long poll waiting, want it ended at once", took)
	}
	select {
	case r := <-done:
		if r.err != nil || r.n != 0 {
			t.Errorf("the long poll ended with %d messages, %v; want an empty answer", r.n, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the long poll had not answered 5 s after Shutdown")
	}
}
