package sns

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// Besides its API, SNS answers the links its messages carry — the
// SubscribeURL and UnsubscribeURL, plain GETs of ConfirmSubscription and
// Unsubscribe in the query form, unsigned and without a Version — and
// serves its signing certificate. localcloud does the same on its own
// endpoint, with what stands in for the SMS and email it does not send
// under PathPrefix.

// Paths of the service's own resources.
const (
	// PathPrefix holds them all, the signing certificate
	// (SimpleNotificationService-<digest>.pem) included.
	PathPrefix = "/_localcloud/sns/"
	// SentPath answers GET with what SNS would have sent by SMS and
	// email (Sent), as a JSON array, oldest first; ?protocol= and
	// ?destination= keep only those.
	SentPath = PathPrefix + "sent"
	// OptOutPath opts a phone number out of SMS on POST of
	// {"phoneNumber":"+15555550100"}, as its owner replying STOP would.
	OptOutPath = PathPrefix + "opt-out"
)

// maxOptOutBody bounds an opt-out request.
const maxOptOutBody = 4 << 10

// linkKey marks the context of an operation called through a link: the
// call is not authenticated.
type linkKey struct{}

func calledByLink(ctx context.Context) bool {
	v, _ := ctx.Value(linkKey{}).(bool)
	return v
}

// Serves reports whether r is for the service whatever the emulator's
// routing says: a path under PathPrefix, or a link from one of its
// messages, which a shared router could not tell from another query
// service's request.
func (s *Service) Serves(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, PathPrefix) || isLink(r)
}

// isLink tells a GET of a SubscribeURL or UnsubscribeURL.
func isLink(r *http.Request) bool {
	if r.Method != http.MethodGet || (r.URL.Path != "/" && r.URL.Path != "") || r.Header.Get("Authorization") != "" {
		return false
	}
	q := r.URL.Query()
	if q.Has("Version") || q.Has("X-Amz-Credential") {
		return false
	}
	a := q.Get("Action")
	return a == "ConfirmSubscription" || a == "Unsubscribe"
}

// ServeHTTP answers one request: an API call, a link, or one of the
// resources under PathPrefix.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, PathPrefix):
		s.serveOwn(w, r)
	case isLink(r):
		s.router.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), linkKey{}, true)))
	default:
		s.router.ServeHTTP(w, r)
	}
}

func (s *Service) serveOwn(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == SentPath:
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		q := r.URL.Query()
		out := []Sent{}
		for _, m := range s.Sent() {
			if (!q.Has("protocol") || q.Get("protocol") == m.Protocol) && (!q.Has("destination") || q.Get("destination") == m.Destination) {
				out = append(out, m)
			}
		}
		writeJSON(w, http.StatusOK, out)
	case r.URL.Path == OptOutPath:
		if !allow(w, r, http.MethodPost) {
			return
		}
		var in struct {
			PhoneNumber string `json:"phoneNumber"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, maxOptOutBody)).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "sns opt-out: want {\"phoneNumber\":\"+15555550100\"}: " + err.Error()})
			return
		}
		if err := s.OptOut(in.PhoneNumber); err != nil {
			status := http.StatusInternalServerError
			var apiErr *awsproto.Error
			if errors.As(err, &apiErr) {
				status = http.StatusBadRequest
			}
			writeJSON(w, status, map[string]string{"error": "sns opt-out: " + err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"phoneNumber": in.PhoneNumber, "optedOut": true})
	case strings.HasPrefix(r.URL.Path, PathPrefix+"SimpleNotificationService-") && strings.HasSuffix(r.URL.Path, ".pem"):
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		k := s.signer()
		if r.URL.Path != PathPrefix+k.file {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such certificate; the current one is " + s.signingCertURL(k)})
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(k.certPEM) //nolint:errcheck // the client went away
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "localcloud sns serves " + SentPath + ", " + OptOutPath + " and its signing certificate under " + PathPrefix})
	}
}

// allow answers 405 unless r uses one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use " + strings.Join(methods, " or ")})
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n')) //nolint:errcheck // the client went away
}
