package stats

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Op counts the calls of one API operation.
type Op struct {
	Calls     atomic.Int64
	Errors    atomic.Int64 // calls answered with an error, throttling included
	Throttled atomic.Int64
}

// Resource counts the messages through one queue, topic or similar.
type Resource struct {
	In  atomic.Int64
	Out atomic.Int64
}

// OpSnapshot is a point-in-time copy of an Op.
type OpSnapshot struct{ Calls, Errors, Throttled int64 }

// ResourceSnapshot is a point-in-time copy of a Resource.
type ResourceSnapshot struct{ In, Out int64 }

// Counters holds the counters of one service. The zero value is ready to
// use and it is safe for concurrent use.
type Counters struct {
	mu        sync.Mutex
	ops       map[string]*Op
	resources map[string]*Resource
}

// Op returns the counter of an operation, creating it on first use.
func (c *Counters) Op(name string) *Op {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops == nil {
		c.ops = map[string]*Op{}
	}
	o, ok := c.ops[name]
	if !ok {
		o = new(Op)
		c.ops[name] = o
	}
	return o
}

// Resource returns the counter of a resource (a queue or topic ARN),
// creating it on first use.
func (c *Counters) Resource(name string) *Resource {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resources == nil {
		c.resources = map[string]*Resource{}
	}
	r, ok := c.resources[name]
	if !ok {
		r = new(Resource)
		c.resources[name] = r
	}
	return r
}

// Snapshot copies every counter.
func (c *Counters) Snapshot() (ops map[string]OpSnapshot, resources map[string]ResourceSnapshot) {
	c.mu.Lock()
	opsRef, resRef := maps.Clone(c.ops), maps.Clone(c.resources)
	c.mu.Unlock()
	ops = make(map[string]OpSnapshot, len(opsRef))
	for k, o := range opsRef {
		ops[k] = OpSnapshot{o.Calls.Load(), o.Errors.Load(), o.Throttled.Load()}
	}
	resources = make(map[string]ResourceSnapshot, len(resRef))
	for k, r := range resRef {
		resources[k] = ResourceSnapshot{r.In.Load(), r.Out.Load()}
	}
	return ops, resources
}
