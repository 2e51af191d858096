package awsenv

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// HTTPClient returns the SDK's default HTTP client, except that net/http
// sees each request body as a plain io.ReadCloser, without the WriteTo
// method of the body smithy-go builds.
//
// smithy-go (up to v1.28.9, the newest release) closes a request body as
// soon as the round trip returns, and once closed its WriteTo answers
// io.EOF. When a server answers before net/http has finished with the
// request — a fast local endpoint such as localcloud does — the Transport
// makes its last read of the body (io.Copy to io.Discard, which prefers
// WriteTo, checking that nothing follows the ContentLength bytes) after
// that close. io.Copy passes the io.EOF on as an error and the Transport
// closes the connection while the response is still being read: "use of
// closed network connection", or a retried call that had already taken
// effect. Through Read the same check ends cleanly. Upstream smithy-go has
// the fix (WriteTo on a closed body answers 0, nil); drop this wrapper once
// a release carries it.
func HTTPClient() aws.HTTPClient {
	return readOnlyBodies{awshttp.NewBuildableClient()}
}

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
