package event

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// Meta is what a producer says about a new event beyond its payload.
type Meta struct {
	Source        string // e.g. "eventchain/launcher"
	Subject       string // the launch request id
	CorrelationID string // copied from the event being handled; never overwritten
	CausationID   string // id of the event being handled, if any
	Time          time.Time
}

// New builds an envelope for a catalogued event type. It fails for an
// unknown type or a payload that cannot be marshalled.
func New(eventType string, meta Meta, payload any) (Envelope, error) {
	spec, ok := Lookup(eventType)
	if !ok {
		return Envelope{}, fmt.Errorf("new event: unknown type %q", eventType)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("new %s event: %w", eventType, err)
	}
	at := meta.Time
	if at.IsZero() {
		at = time.Now()
	}
	return Envelope{
		SpecVersion:     SpecVersion,
		ID:              NewID(),
		Type:            eventType,
		Source:          meta.Source,
		Time:            at.UTC(),
		Subject:         meta.Subject,
		DataSchema:      spec.DataSchema,
		DataContentType: "application/json",
		CorrelationID:   meta.CorrelationID,
		CausationID:     meta.CausationID,
		Data:            data,
	}, nil
}

// Next builds the event that handling e produces: same subject and
// correlation id, caused by e.
func Next(e Envelope, eventType, source string, payload any) (Envelope, error) {
	return New(eventType, Meta{
		Source:        source,
		Subject:       e.Subject,
		CorrelationID: e.CorrelationID,
		CausationID:   e.ID,
	}, payload)
}

// NewID returns a random RFC 4122 version 4 UUID, the form of every event,
// request and correlation id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ValidID reports whether s has the form NewID produces (lowercase UUID).
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}
