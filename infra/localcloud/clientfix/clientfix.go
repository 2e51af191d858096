// Package clientfix makes an AWS SDK for Go v2 client safe against a fast
// local endpoint such as localcloud. Use it in your own programs' clients:
//
//	cfg.HTTPClient = clientfix.HTTPClient()
//
// smithy-go (up to v1.28.9) closes a request body as soon as the round
// trip returns, and once closed its WriteTo answers io.EOF. When a server
// answers before net/http has finished with the request — which a local
// emulator on loopback does often, under CPU load especially — the
// Transport's last look at the body (io.Copy to io.Discard, which prefers
// WriteTo, checking that nothing follows the ContentLength bytes) comes
// after that close. io.Copy passes the io.EOF on as an error and the
// Transport closes the connection while the response is still being read:
// "use of closed network connection", a lost answer, and an SDK retry of a
// call that had already taken effect (a message sent twice, a receive
// whose messages stay in flight). Through Read the same check ends
// cleanly, so this client hides WriteTo. Upstream smithy-go has the fix;
// drop this once a release carries it.
//
// localcloud cannot prevent it from its side: the race is inside the
// client, between its own write loop and the SDK closing the body, and any
// answer that arrives before the write loop's last check triggers it.
package clientfix

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// HTTPClient is the SDK's default HTTP client with the fix.
func HTTPClient() aws.HTTPClient { return Wrap(awshttp.NewBuildableClient()) }

// Wrap applies the fix to an HTTP client of your own.
func Wrap(c aws.HTTPClient) aws.HTTPClient { return readOnlyBodies{c} }

type readOnlyBodies struct{ client aws.HTTPClient }

func (c readOnlyBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req = req.WithContext(req.Context()) // a shallow copy: the caller keeps its own Body
		req.Body = readCloserOnly{req.Body}
	}
	return c.client.Do(req)
}

// readCloserOnly hides every method of the wrapped body but Read and Close.
type readCloserOnly struct{ io.ReadCloser }
