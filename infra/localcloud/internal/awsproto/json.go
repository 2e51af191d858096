package awsproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// JSON10 is the AWS JSON 1.0 protocol: POST with X-Amz-Target:
// <TargetPrefix>.<Op> and a JSON body, answered in JSON.
type JSON10 struct {
	TargetPrefix string // AmazonSQS
	// ErrorNamespace qualifies error names in __type (com.amazonaws.sqs).
	ErrorNamespace string
	// QueryCompatible services also send each error's query code in
	// x-amzn-query-error, which SDKs prefer to __type.
	QueryCompatible bool
	// BodyCRC32 services send X-Amz-Crc32, the CRC-32 of the body, as
	// DynamoDB does: its SDK client checks every answer against it (and
	// logs a mismatch when the header is missing).
	BodyCRC32 bool
}

const jsonContentType = "application/x-amz-json-1.0"

func (JSON10) kind() kind { return kindJSON }

// decode reads the body into in; an empty body is an empty input, as the
// SDKs send "{}" at least.
func (JSON10) decode(req *request, in any) *Error {
	return decodeJSON(req.body, in)
}

func decodeJSON(body []byte, in any) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(in); err != nil {
		return Errorf(http.StatusBadRequest, "SerializationException", "cannot read request: %v", err)
	}
	// dec.More would miss a stray ] or }, which it reads as the end of
	// an enclosing value: only the end of the body ends the request.
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(http.StatusBadRequest, "SerializationException", "cannot read request: %v", errors.New("trailing data after the JSON object"))
	}
	return nil
}

func (p JSON10) writeResult(w http.ResponseWriter, req *request, out any) {
	if out == nil {
		out = struct{}{}
	}
	body, err := json.Marshal(out)
	if err != nil {
		p.writeError(w, req, Internal(err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("x-amzn-RequestId", req.id)
	p.checksum(h, body)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client went away
}

func (p JSON10) writeError(w http.ResponseWriter, req *request, e *Error) {
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("x-amzn-RequestId", req.id)
	if p.QueryCompatible {
		h.Set("x-amzn-query-error", e.Query()+";"+e.fault())
	}
	var doc any = errorBody{Type: qualify(p.ErrorNamespace, e.Code), Message: e.Message}
	if len(e.Fields) > 0 {
		m := make(map[string]any, len(e.Fields)+2)
		for k, v := range e.Fields {
			m[k] = v
		}
		m["__type"], m["message"] = qualify(p.ErrorNamespace, e.Code), e.Message
		doc = m
	}
	body, _ := json.Marshal(doc)
	p.checksum(h, body)
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

func (p JSON10) checksum(h http.Header, body []byte) {
	if p.BodyCRC32 {
		h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
}

// errorBody is the error document of JSON and CBOR.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func qualify(namespace, code string) string {
	if namespace == "" {
		return code
	}
	return namespace + "#" + code
}

// jsonTarget splits X-Amz-Target into its prefix and operation.
func jsonTarget(r *http.Request) (prefix, op string) {
	prefix, op, _ = strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	return prefix, op
}
