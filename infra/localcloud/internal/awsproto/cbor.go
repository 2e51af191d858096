package awsproto

import (
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// CBOR is Smithy RPC v2 CBOR: POST /service/<ServiceName>/operation/<Op>
// with Smithy-Protocol: rpc-v2-cbor and a CBOR body, answered in CBOR.
// Inputs and outputs use their json tags, so one struct serves a service
// that speaks both CBOR and JSON 1.0.
type CBOR struct {
	ServiceName     string // GraniteServiceVersion20100801
	ErrorNamespace  string
	QueryCompatible bool
}

const cborContentType = "application/cbor"

// Timestamps are epoch seconds under tag 1, as the protocol requires;
// maps are written in a stable key order so answers can be compared.
var (
	cborEnc = func() cbor.EncMode {
		m, err := cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired, Sort: cbor.SortBytewiseLexical}.EncMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
	cborDec = func() cbor.DecMode {
		m, err := cbor.DecOptions{TimeTag: cbor.DecTagOptional, DefaultMapType: nil}.DecMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
)

func (CBOR) kind() kind { return kindCBOR }

func (CBOR) decode(req *request, in any) *Error {
	if len(req.body) == 0 {
		return nil
	}
	if err := cborDec.Unmarshal(req.body, in); err != nil {
		return Errorf(http.StatusBadRequest, "SerializationException", "cannot read request: %v", err)
	}
	if sentZeroTime(reflect.ValueOf(in), false) {
		return Errorf(http.StatusBadRequest, "SerializationException", "cannot read request: a timestamp is not a finite number of seconds after 0001-01-01")
	}
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

// sentZeroTime reports whether v holds the zero time where only a member
// the client sent can be: behind a pointer or an interface, in a list or
// a map (sent says whether v itself is one). The codec reads a NaN or
// infinite epoch, tagged or not, as the zero time rather than refusing
// it; no AWS timestamp is that, and JSON 1.0 refuses it. A member that is
// no pointer cannot tell the zero time from its absence, and is left to
// read as absent.
func sentZeroTime(v reflect.Value, sent bool) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && sentZeroTime(v.Elem(), true)
	case reflect.Struct:
		if v.Type() == timeType {
			return sent && v.Interface().(time.Time).IsZero()
		}
		for i := range v.NumField() {
			// An embedded time (a Timestamp's) is sent when its struct is.
			if f := v.Type().Field(i); f.IsExported() && sentZeroTime(v.Field(i), sent && f.Anonymous) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		if k := v.Type().Elem().Kind(); k <= reflect.Complex128 || k == reflect.String {
			return false // blobs and lists of scalars: nothing to look at
		}
		for i := range v.Len() {
			if sentZeroTime(v.Index(i), true) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if sentZeroTime(it.Key(), true) || sentZeroTime(it.Value(), true) {
				return true
			}
		}
	}
	return false
}

func (p CBOR) writeResult(w http.ResponseWriter, req *request, out any) {
	if out == nil {
		out = struct{}{}
	}
	body, err := cborEnc.Marshal(out)
	if err != nil {
		p.writeError(w, req, Internal(err))
		return
	}
	cborHeaders(w, req)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (p CBOR) writeError(w http.ResponseWriter, req *request, e *Error) {
	cborHeaders(w, req)
	if p.QueryCompatible {
		w.Header().Set("x-amzn-query-error", e.Query()+";"+e.fault())
	}
	w.WriteHeader(e.Status)
	body, _ := cborEnc.Marshal(errorBody{Type: qualify(p.ErrorNamespace, e.Code), Message: e.Message})
	_, _ = w.Write(body)
}

func cborHeaders(w http.ResponseWriter, req *request) {
	h := w.Header()
	h.Set("Content-Type", cborContentType)
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("x-amzn-RequestId", req.id)
}

// cborTarget reads /service/<name>/operation/<op>; ok is false for other
// paths.
func cborTarget(r *http.Request) (service, op string, ok bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/service/")
	if !ok {
		return "", "", false
	}
	service, op, ok = strings.Cut(rest, "/operation/")
	return service, op, ok && service != "" && !strings.Contains(op, "/")
}

// MarshalCBOR and UnmarshalCBOR are the codec the CBOR protocol uses,
// for tests and tools that speak it.
func MarshalCBOR(v any) ([]byte, error) { return cborEnc.Marshal(v) }

// UnmarshalCBOR decodes what MarshalCBOR encodes.
func UnmarshalCBOR(b []byte, v any) error { return cborDec.Unmarshal(b, v) }
