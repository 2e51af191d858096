package localcloud_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/localcloud"
)

// listenHostile serves a Cloud with short deadlines so a test sees them
// act, and returns a client backend for it.
func listenHostile(t *testing.T, limits localcloud.Limits) (backend, string) {
	t.Helper()
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{Limits: limits})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		srv.Close()
		if err := cloud.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return backend{Endpoint: "http://" + l.Addr().String()}, l.Addr().String()
}

// serves checks that the SQS API answers promptly.
func serves(t *testing.T, b backend, queue string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	client := b.SQS()
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue)})
	if err != nil {
		t.Fatalf("CreateQueue while hostile clients hold connections: %v", err)
	}
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("still here")}); err != nil {
		t.Fatalf("SendMessage while hostile clients hold connections: %v", err)
	}
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("ReceiveMessage while hostile clients hold connections: %v, %d messages", err, len(out.Messages))
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestHostileClients: 120 clients announce 8 MB bodies, send them all
// but the last byte and stall; 100 more trickle their headers a byte a
// second. Body memory stays within the budget, the service keeps
// answering, and the read deadlines close every hostile connection.
func TestHostileClients(t *testing.T) {
	const (
		stalled   = 120
		tricklers = 100
		bodySize  = 8 << 20
		budget    = 16 << 20
	)
	limits := localcloud.Limits{ReadHeaderTimeout: time.Second, ReadTimeout: 3 * time.Second, BodyBudget: budget}
	b, addr := listenHostile(t, limits)
	payload := make([]byte, bodySize-1)
	for i := range payload {
		payload[i] = 'x'
	}
	before := heapInUse()

	var writes sync.WaitGroup
	closed := make(chan string, stalled+tricklers)
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conns = append(conns, c)
		return c
	}
	// Each connection reports when the server closes it.
	watch := func(c net.Conn, kind string) {
		go func() {
			_, _ = io.Copy(io.Discard, c)
			closed <- kind
		}()
	}
	for range stalled {
		c := dial()
		watch(c, "stalled")
		writes.Add(1)
		go func() {
			defer writes.Done()
			fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Target: AmazonSQS.SendMessage\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n", addr, bodySize)
			_, _ = c.Write(payload) // fails once the server refuses the body
		}()
	}
	header := []byte("POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n\r\n")
	for range tricklers {
		c := dial()
		watch(c, "trickler")
		go func() {
			for _, ch := range header {
				if _, err := c.Write([]byte{ch}); err != nil {
					return
				}
				time.Sleep(time.Second)
			}
		}()
	}

	done := make(chan struct{})
	go func() { writes.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the stalled clients' writes neither completed nor failed in 30 s")
	}
	serves(t, b, "during")
	// Live heap: the server's buffers of bodies in progress, the budget
	// plus a small first buffer per connection at most, and slack for the
	// runtime and the test's own clients.
	if grown := int64(heapInUse()) - int64(before); grown > budget+stalled*(64<<10)+32<<20 {
		t.Errorf("heap grew %d MiB with %d stalled 8 MB bodies, want it bounded by the %d MiB budget", grown>>20, stalled, budget>>20)
	} else {
		t.Logf("heap grew %d MiB with %d stalled 8 MB bodies", grown>>20, stalled)
	}

	deadline := time.After(limits.ReadTimeout + 10*time.Second)
	counts := map[string]int{}
	for counts["stalled"] < stalled || counts["trickler"] < tricklers {
		select {
		case kind := <-closed:
			counts[kind]++
		case <-deadline:
			t.Fatalf("server closed %d of %d stalled and %d of %d trickling connections", counts["stalled"], stalled, counts["trickler"], tricklers)
		}
	}
	serves(t, b, "after")
	if grown := int64(heapInUse()) - int64(before); grown > 32<<20 {
		t.Errorf("heap still %d MiB above the start after the hostile clients were closed", grown>>20)
	}
}

// TestConnectionCap: connections past MaxConns wait until one closes.
func TestConnectionCap(t *testing.T) {
	b, addr := listenHostile(t, localcloud.Limits{MaxConns: 3, ReadHeaderTimeout: time.Minute})
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		_, _ = c.Write([]byte("POST / HTTP/1.1\r\n")) // a request that never ends
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	client := b.SQS(func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	if _, err := client.ListQueues(ctx, &sqs.ListQueuesInput{}); err == nil {
		t.Fatal("a fourth connection was served with MaxConns 3")
	}
	held[0].Close()
	ctx2, cancel2 := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel2()
	if _, err := client.ListQueues(ctx2, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("ListQueues after a connection closed: %v", err)
	}
}
