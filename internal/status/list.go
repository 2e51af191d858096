package status

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Listing limits, shared by every Store.
const (
	// DefaultListLimit is the page size when ListQuery.Limit is zero.
	DefaultListLimit = 20
	// MaxListLimit bounds a page: each request carries its history.
	MaxListLimit = 100
)

// ListQuery selects a page of one caller's requests, newest first.
type ListQuery struct {
	// Caller is the Request.Caller whose requests are listed (required:
	// a caller never sees another's requests; the local mode's fixed
	// identity is a caller too).
	Caller string
	// Status keeps only requests in that status; empty keeps all.
	Status Status
	// Limit is the page size, 1 to MaxListLimit; zero means DefaultListLimit.
	Limit int
	// Next is the ListPage.Next of the previous page; empty starts at the
	// newest request.
	Next string
}

// ListPage is one page of requests, newest first.
type ListPage struct {
	Requests []Request
	// Next continues the listing; empty when there is nothing more.
	Next string
}

// listKeyLayout has a fixed width, so list keys sort as their times do
// (RFC 3339 with nanoseconds drops trailing zeros and would not).
const listKeyLayout = "2006-01-02T15:04:05.000000000Z"

// listKey orders requests by creation time, then id: the sort key of the
// DynamoDB index the listing queries, and the position a page token holds.
// Positions do not depend on status, so a request that changes status
// between two pages is never listed twice.
func listKey(r Request) string {
	return r.CreatedAt.UTC().Format(listKeyLayout) + "#" + r.ID
}

// prepareList validates q, fills in its limit and decodes its token into
// the list key the page starts after ("" for the first page).
func prepareList(q ListQuery) (ListQuery, string, error) {
	if q.Caller == "" {
		return q, "", fmt.Errorf("list requests: no caller: %w", ErrInvalid)
	}
	if q.Status != "" && !q.Status.Valid() {
		return q, "", fmt.Errorf("list requests in %q: unknown status: %w", q.Status, ErrInvalid)
	}
	if q.Limit == 0 {
		q.Limit = DefaultListLimit
	}
	if q.Limit < 1 || q.Limit > MaxListLimit {
		return q, "", fmt.Errorf("list %d requests (1 to %d): %w", q.Limit, MaxListLimit, ErrInvalid)
	}
	if q.Next == "" {
		return q, "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(q.Next)
	at, id, ok := strings.Cut(string(raw), "#")
	if err == nil && ok && id != "" {
		_, err = time.Parse(listKeyLayout, at)
	}
	if err != nil || !ok || id == "" {
		return q, "", fmt.Errorf("list requests: malformed page token: %w", ErrInvalid)
	}
	return q, string(raw), nil
}

func pageToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// newestFirst is the listing order.
func newestFirst(a, b Request) int { return cmp.Compare(listKey(b), listKey(a)) }

// cutPage sorts candidates newest first and keeps a page of q.Limit;
// more says whether requests may follow those candidates.
func cutPage(candidates []Request, q ListQuery, more bool) ListPage {
	slices.SortFunc(candidates, newestFirst)
	page := ListPage{Requests: candidates}
	if len(candidates) > q.Limit {
		page.Requests, more = candidates[:q.Limit], true
	}
	if more && len(page.Requests) > 0 {
		page.Next = pageToken(listKey(page.Requests[len(page.Requests)-1]))
	}
	if page.Requests == nil {
		page.Requests = []Request{}
	}
	return page
}

// ownerKey is the partition key of a request in the ByOwner index: its
// caller, or "-" for a request recorded without one (an index key cannot
// be empty).
func ownerKey(caller string) string {
	if caller == "" {
		return "-"
	}
	return caller
}
