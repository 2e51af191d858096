package localcloud

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// Limits bound what clients may make the emulator hold, so that slow,
// stalled or oversized clients cannot exhaust its memory or connections
// while well-behaved ones keep being served. Zero fields take defaults.
type Limits struct {
	// MaxConns caps open connections; more wait in the listen backlog.
	MaxConns int
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout
	// its headers and body; a client trickling bytes is cut off.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	// WriteTimeout bounds a request from its headers to the end of its
	// answer; it must exceed SQS's 20 s long poll.
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle that long.
	IdleTimeout    time.Duration
	MaxHeaderBytes int
	// BodyBudget is how much memory bodies beyond SmallBody bytes each
	// may hold together; a body past it is refused with a 503, which the
	// SDKs retry. Each protocol also caps one body (8 MiB for JSON and
	// CBOR, 4 MiB for query), signed or not.
	BodyBudget int64
	SmallBody  int64
}

func (l Limits) orDefault() Limits {
	set := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&l.ReadHeaderTimeout, 10*time.Second)
	set(&l.ReadTimeout, 30*time.Second)
	set(&l.WriteTimeout, 60*time.Second)
	set(&l.IdleTimeout, 120*time.Second)
	if l.MaxConns <= 0 {
		l.MaxConns = 256
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if l.BodyBudget <= 0 {
		l.BodyBudget = awsproto.DefaultBodyBudget
	}
	if l.SmallBody <= 0 {
		l.SmallBody = awsproto.DefaultSmallBody
	}
	return l
}

func (l Limits) body() awsproto.Limits {
	return awsproto.Limits{BodyBudget: l.BodyBudget, SmallBody: l.SmallBody}
}

// server returns the http.Server Listen runs: the Limits' deadlines, and
// long polls ended on shutdown.
func (c *Cloud) server() *http.Server {
	l := c.opts.Limits
	srv := &http.Server{
		Handler:           c,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
	srv.RegisterOnShutdown(c.EndLongPolls)
	return srv
}

// limitListener accepts at most n connections open at once.
func limitListener(l net.Listener, n int) net.Listener {
	return &capped{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type capped struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *capped) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &cappedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *capped) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type cappedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
