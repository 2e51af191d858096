package local

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestMountsRouteBeforeTheAPI: a mounted prefix (and its path without the
// final slash) reaches its handler; every other path reaches the API.
func TestMountsRouteBeforeTheAPI(t *testing.T) {
	answer := func(code int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) })
	}
	m := &mounts{next: answer(http.StatusAccepted)}
	m.add("/_console/", answer(http.StatusTeapot))
	for path, want := range map[string]int{
		"/_console/": http.StatusTeapot, "/_console": http.StatusTeapot, "/_console/api/chain": http.StatusTeapot,
		"/launches": http.StatusAccepted, "/_consoles": http.StatusAccepted, "/": http.StatusAccepted,
	} {
		w := httptest.NewRecorder()
		m.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != want {
			t.Errorf("%s answered %d, want %d", path, w.Code, want)
		}
	}
}
