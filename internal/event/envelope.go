package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// SpecVersion is the CloudEvents version of every envelope we write.
const SpecVersion = "1.0"

// Message attribute names set on every SNS publish (and so on every SQS
// message delivered raw). SQS allows at most 10 attributes per message, so
// failure details are kept to the three error attributes.
const (
	AttrType          = "type"
	AttrCorrelationID = "correlationid"

	AttrErrorCode     = "error.code"
	AttrErrorMessage  = "error.message"
	AttrErrorFunction = "error.function"
)

// Envelope is a CloudEvents 1.0 JSON event plus the correlationid and
// causationid extensions. Subject is always the launch request id.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Source          string          `json:"source"`
	Time            time.Time       `json:"time"`
	Subject         string          `json:"subject"`
	DataSchema      string          `json:"dataschema,omitempty"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	CorrelationID   string          `json:"correlationid"`
	CausationID     string          `json:"causationid,omitempty"`
	Data            json.RawMessage `json:"data"`
}

// ErrMalformed marks an envelope that can never be processed: retrying it
// cannot help, so consumers send it to the dead-letter queue at once.
var ErrMalformed = errors.New("malformed event")

// Decode parses and checks an envelope. Every error wraps ErrMalformed.
func Decode(body []byte) (Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// dec.More would miss a stray ] or }, which it reads as the end of
	// an enclosing value: only the end of the input ends the envelope.
	if _, err := dec.Token(); err != io.EOF {
		return Envelope{}, fmt.Errorf("%w: trailing data after envelope", ErrMalformed)
	}
	switch {
	case e.SpecVersion != SpecVersion:
		return Envelope{}, fmt.Errorf("%w: specversion %q, want %q", ErrMalformed, e.SpecVersion, SpecVersion)
	case e.ID == "":
		return Envelope{}, fmt.Errorf("%w: missing id", ErrMalformed)
	case e.Type == "":
		return Envelope{}, fmt.Errorf("%w: missing type", ErrMalformed)
	case e.Subject == "":
		return Envelope{}, fmt.Errorf("%w: missing subject (request id)", ErrMalformed)
	case len(e.Data) == 0 || string(e.Data) == "null":
		return Envelope{}, fmt.Errorf("%w: missing data", ErrMalformed)
	}
	return e, nil
}

// DecodeData unmarshals the envelope's data into v, refusing unknown fields.
// Every error wraps ErrMalformed.
func (e Envelope) DecodeData(v any) error {
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s data: %v", ErrMalformed, e.Type, err)
	}
	return nil
}
