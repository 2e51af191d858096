package dlq

import (
	"errors"
	"io/fs"
	"net"
	"strings"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ErrUnknownQueue wraps the error of a queue that neither the topology
// nor SQS knows.
var ErrUnknownQueue = errors.New("unknown queue")

// Kind sorts errors by what the user has to do about them.
type Kind int

const (
	KindOther        Kind = iota
	KindUnknownQueue      // a queue (or stack) that does not exist
	KindAccessDenied      // the credentials lack a permission, or there are none
	KindUnreachable       // the endpoint did not answer
)

// Classify tells what kind of failure err is.
func Classify(err error) Kind {
	if err == nil {
		return KindOther
	}
	if errors.Is(err, ErrUnknownQueue) {
		return KindUnknownQueue
	}
	var notExist *sqstypes.QueueDoesNotExist
	if errors.As(err, &notExist) {
		return KindUnknownQueue
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		switch {
		case code == "AWS.SimpleQueueService.NonExistentQueue", code == "QueueDoesNotExist",
			code == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist"):
			return KindUnknownQueue
		case strings.HasPrefix(code, "AccessDenied"), strings.HasSuffix(code, ".AccessDeniedException"),
			code == "UnauthorizedOperation", code == "AuthorizationError", code == "AuthorizationErrorException",
			code == "InvalidClientTokenId", code == "UnrecognizedClientException", code == "ExpiredToken",
			code == "ExpiredTokenException", code == "InvalidSignatureException", code == "SignatureDoesNotMatch":
			return KindAccessDenied
		}
		return KindOther
	}
	// A file that cannot be read (the template) is no network failure,
	// though *fs.PathError has the methods of net.Error.
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return KindOther
	}
	var send *smithyhttp.RequestSendError
	var netErr net.Error
	if errors.As(err, &send) || errors.As(err, &netErr) {
		return KindUnreachable
	}
	// The SDK's credential chain found nothing to sign with.
	if s := err.Error(); strings.Contains(s, "get identity:") || strings.Contains(s, "failed to retrieve credentials") {
		return KindAccessDenied
	}
	return KindOther
}

// errorCode is the API error code of err, "" for none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
