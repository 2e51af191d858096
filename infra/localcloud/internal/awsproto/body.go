package awsproto

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
)

// Limits bound the memory request bodies may take. The zero value of a
// field means its default.
type Limits struct {
	// MaxJSONBody, MaxCBORBody and MaxQueryBody bound one body in each
	// protocol, whoever sent it, signed or not. A service may set a
	// lower bound of its own (Service.MaxBody).
	MaxJSONBody  int64
	MaxCBORBody  int64
	MaxQueryBody int64
	// SmallBody is how much of each body is read without drawing on the
	// budget: ordinary requests are small and always served.
	SmallBody int64
	// BodyBudget is how many bytes beyond SmallBody all bodies being read
	// or served may hold together; a body that would exceed it is refused
	// with a 503 the SDKs retry. With a cap on connections this bounds
	// body memory however clients behave.
	BodyBudget int64
}

// Default limits: an SQS batch may carry 1 MiB of messages, which JSON
// escaping and base64 make larger; a PublishBatch of 256 KiB stays well
// below the query limit.
const (
	DefaultMaxJSONBody  = 8 << 20
	DefaultMaxCBORBody  = 8 << 20
	DefaultMaxQueryBody = 4 << 20
	DefaultSmallBody    = 64 << 10
	DefaultBodyBudget   = 64 << 20
)

func (l Limits) orDefault() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxJSONBody, DefaultMaxJSONBody)
	def(&l.MaxCBORBody, DefaultMaxCBORBody)
	def(&l.MaxQueryBody, DefaultMaxQueryBody)
	def(&l.SmallBody, DefaultSmallBody)
	def(&l.BodyBudget, DefaultBodyBudget)
	return l
}

func (l Limits) max(k kind) int64 {
	switch k {
	case kindJSON:
		return l.MaxJSONBody
	case kindCBOR:
		return l.MaxCBORBody
	}
	return l.MaxQueryBody
}

var (
	errTooLarge = errors.New("request body too large")
	errBusy     = errors.New("body budget exhausted")
)

// bodies reads request bodies within Limits.
type bodies struct {
	limits Limits
	used   atomic.Int64 // budget bytes held
}

// read reads a whole body of at most limit bytes. The buffer grows as
// data arrives rather than to the announced length, so a client that
// announces much and sends little holds little; growth past SmallBody
// draws on the budget, which release gives back.
func (b *bodies) read(r io.Reader, contentLength, limit int64) (body []byte, release func(), err error) {
	var held int64
	release = func() { b.used.Add(-held) }
	if contentLength > limit {
		return nil, release, fmt.Errorf("%w: %d bytes announced, at most %d accepted", errTooLarge, contentLength, limit)
	}
	size := b.limits.SmallBody
	if contentLength >= 0 {
		size = min(size, contentLength)
	}
	buf := make([]byte, 0, max(size, 512))
	for {
		if contentLength >= 0 && int64(len(buf)) == contentLength {
			return buf, release, nil // net/http never reads past Content-Length
		}
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, release, fmt.Errorf("%w: more than %d bytes", errTooLarge, limit)
			}
			next := 2 * int64(cap(buf))
			if contentLength >= 0 {
				next = min(next, contentLength)
			}
			next = min(next, limit+1)
			charge := max(next-b.limits.SmallBody, 0) - max(int64(cap(buf))-b.limits.SmallBody, 0)
			if charge > 0 {
				if b.used.Add(charge) > b.limits.BodyBudget {
					b.used.Add(-charge)
					return nil, release, errBusy
				}
				held += charge
			}
			buf = slices.Grow(buf, int(next)-len(buf))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) > limit {
				return nil, release, fmt.Errorf("%w: more than %d bytes", errTooLarge, limit)
			}
			return buf, release, nil
		}
		if err != nil {
			return nil, release, fmt.Errorf("read body: %w", err)
		}
	}
}
