package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/eventchain/eventchain/internal/dlq"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/trace"
)

// Path is where the console is served.
const Path = "/_console/"

// TokenHeader carries the per-run token on every request that changes
// state.
const TokenHeader = "X-Console-Token"

//go:embed assets
var assets embed.FS

// Options configure a console.
type Options struct {
	// Addr is the loopback host:port the console is served on: the only
	// Host it answers (with localhost:port).
	Addr string
	// Token is the per-run secret state-changing requests carry; New
	// makes one when empty.
	Token string
	// Where says what the console shows, for the page's header, e.g.
	// "local mode" or "stack eventchain (us-east-1)".
	Where string
	// Local is set when the console runs inside the local mode.
	Local bool
	// AllowActions enables redrive and purge.
	AllowActions bool

	Chain    Chain
	Topology *dlq.Topology
	// Queues maps a consumer to its queue, for the timeline's "now".
	Queues     map[string]trace.Queue
	SQS        dlq.SQS
	CloudWatch dlq.CloudWatch // nil: alarm state unknown
	Ages       Ages           // nil: ages unknown
	Requests   Requests
	EC2        EC2
	Counters   *Counters // nil: not counted here

	Logger *slog.Logger
	// Now defaults to time.Now (tests fix it).
	Now func() time.Time
}

// Server serves the console.
type Server struct {
	opts  Options
	log   *slog.Logger
	mux   *http.ServeMux
	hosts map[string]bool
	live  liveCache
	locks queueLocks
}

// NewToken returns a random token.
func NewToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("console token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// New builds a console. Addr must be a loopback host:port.
func New(opts Options) (*Server, error) {
	host, port, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("console address %q: %w", opts.Addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("console address %q: the console serves loopback only", opts.Addr)
	}
	if opts.Token == "" {
		if opts.Token, err = NewToken(); err != nil {
			return nil, err
		}
	}
	if opts.Topology == nil {
		opts.Topology = &dlq.Topology{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux(),
		hosts: map[string]bool{opts.Addr: true, net.JoinHostPort("localhost", port): true}}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	s.mux.Handle("GET "+Path+"assets/", http.StripPrefix(Path+"assets/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET "+Path+"{$}", s.index)
	s.mux.HandleFunc("GET "+Path+"api/config", s.config)
	s.mux.HandleFunc("GET "+Path+"api/chain", s.chain)
	s.mux.HandleFunc("GET "+Path+"api/requests", s.requests)
	s.mux.HandleFunc("GET "+Path+"api/requests/{id}", s.request)
	s.mux.HandleFunc("GET "+Path+"api/dlqs/{queue}/messages", s.dlqMessages)
	s.mux.HandleFunc("POST "+Path+"api/dlqs/{queue}/redrive", s.action(s.dlqRedrive))
	s.mux.HandleFunc("POST "+Path+"api/dlqs/{queue}/purge", s.action(s.dlqPurge))
	s.mux.HandleFunc("GET "+Path+"api/instances", s.instances)
	return s, nil
}

// URL is the console's address with the token in its fragment: the
// browser keeps a fragment to itself (no log, no Referer), and the page
// reads the token from it.
func (s *Server) URL() string {
	return "http://" + s.opts.Addr + Path + "#token=" + url.QueryEscape(s.opts.Token)
}

// Token is the per-run token.
func (s *Server) Token() string { return s.opts.Token }

// ServeHTTP checks every request (Guard) before serving it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// The page runs its own script only, in no frame of another site.
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if code, why := s.Guard(r); code != 0 {
		s.log.Warn("console request refused", "method", r.Method, "path", r.URL.Path, "host", r.Host, "origin", r.Header.Get("Origin"), "why", why)
		writeError(w, code, why)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Guard says why a request is refused (its status code and reason), or
// 0. A page on loopback can still be reached by any site its user
// browses: through DNS rebinding (a name of the attacker's resolving to
// 127.0.0.1, so the browser deems the answers same-origin to the attacker:
// Host names the attacker's name) and by plain cross-site requests (which
// carry that site's Origin). State changes also need the token, which
// only whoever saw the banner has.
func (s *Server) Guard(r *http.Request) (int, string) {
	if !s.hosts[r.Host] {
		return http.StatusMisdirectedRequest, fmt.Sprintf("host %q is not the console's (%s)", r.Host, s.opts.Addr)
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		return http.StatusForbidden, fmt.Sprintf("origin %q is not the console's", o)
	}
	// Fetch metadata, where the browser sends it, tells the same.
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return http.StatusForbidden, "request from another site"
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		got := r.Header.Get(TokenHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) != 1 {
			return http.StatusForbidden, "missing or wrong console token: open the URL eventchain printed"
		}
	}
	return 0, ""
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("assets/index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b) //nolint:errcheck // the client went away
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"where": s.opts.Where, "local": s.opts.Local, "allowActions": s.opts.AllowActions})
}

func (s *Server) chain(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Chain Chain `json:"chain"`
		Live  Live  `json:"live"`
	}{s.opts.Chain, s.readLive(r.Context())})
}

// maxListed bounds the requests listed.
const maxListed = 50

func (s *Server) requests(w http.ResponseWriter, r *http.Request) {
	st := r.URL.Query().Get("status")
	if st != "" && !status.Status(st).Valid() {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("status %q: want one of PENDING, ACCEPTED, LAUNCHING, RUNNING, FAILED", st))
		return
	}
	limit := maxListed
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n < maxListed {
		limit = n
	}
	list, err := s.opts.Requests.List(r.Context(), st, limit)
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	if list == nil {
		list = []RequestSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": list})
}

// StepView is a line of a timeline.
type StepView struct {
	Offset   string    `json:"offset"`
	At       time.Time `json:"at"`
	Function string    `json:"function"`
	Event    string    `json:"event"`
	Queued   string    `json:"queued"`
	Took     string    `json:"took"`
	What     string    `json:"what"`
}

func (s *Server) request(w http.ResponseWriter, r *http.Request) {
	req, err := s.opts.Requests.Get(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	tl := trace.Build(req, s.opts.Queues, s.opts.Now())
	steps := make([]StepView, 0, len(tl.Steps))
	for _, st := range tl.Steps {
		fn := st.Function
		if fn == "" {
			fn = "status"
		}
		steps = append(steps, StepView{Offset: "+" + st.At.Sub(req.CreatedAt).Round(time.Millisecond).String(), At: st.At, Function: fn,
			Event: st.Event, Queued: duration(st.Queued), Took: duration(st.Duration), What: st.What})
	}
	if req.InstanceIDs == nil {
		req.InstanceIDs = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"request": req, "steps": steps, "retries": tl.Retries, "now": tl.Now, "final": req.Status.Terminal()})
}

// duration is a step's duration as trace renders it: "-" when unknown.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func (s *Server) dlqMessages(w http.ResponseWriter, r *http.Request) {
	v, err := s.messages(r.Context(), r.PathValue("queue"))
	if err != nil {
		writeError(w, errorStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) instances(w http.ResponseWriter, r *http.Request) {
	list, err := ListInstances(r.Context(), s.opts.EC2)
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	if list == nil {
		list = []Instance{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"instances": list})
}

// actionTimeout bounds an action. It runs apart from the request's
// context: a page closed or reloaded mid-redrive must not interrupt it.
const actionTimeout = 5 * time.Minute

// action wraps a handler that changes state: refused when actions are
// off, run to its end even when the page goes away, and logged.
func (s *Server) action(h func(ctx context.Context, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.opts.AllowActions {
			writeError(w, http.StatusForbidden, "read-only console: start it with --allow-actions to redrive or purge")
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), actionTimeout)
		defer cancel()
		start := time.Now()
		res, err := h(ctx, r)
		attrs := []any{"action", r.URL.Path, "queue", r.PathValue("queue"), "where", s.opts.Where, "took", time.Since(start).Round(time.Millisecond), "result", res}
		if err != nil {
			s.log.Warn("console action failed", append(attrs, "error", err)...)
			writeJSON(w, errorStatus(err), map[string]any{"error": err.Error(), "result": res})
			return
		}
		s.log.Info("console action", attrs...)
		writeJSON(w, http.StatusOK, res)
	}
}

func (s *Server) dlqRedrive(ctx context.Context, r *http.Request) (any, error) {
	var req RedriveRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return s.redrive(ctx, r.PathValue("queue"), req)
}

func (s *Server) dlqPurge(ctx context.Context, r *http.Request) (any, error) {
	var req struct {
		Confirm string `json:"confirm"`
	}
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return s.purge(ctx, r.PathValue("queue"), req.Confirm)
}

func decodeBody(r *http.Request, into any) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("%w: content type %q, want application/json", errBadRequest, ct)
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: read body: %v", errBadRequest, err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	return nil
}

func errorStatus(err error) int {
	switch {
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, errNotFoundQueue):
		return http.StatusNotFound
	case errors.Is(err, dlq.ErrTaskActive):
		return http.StatusConflict
	}
	return http.StatusBadGateway
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n')) //nolint:errcheck // the client went away
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
