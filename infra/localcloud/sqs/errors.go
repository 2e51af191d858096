package sqs

import (
	"fmt"
	"net/http"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// newErr builds an SQS error: the modelled shape name goes in the JSON
// __type, the legacy query code in x-amzn-query-error ("" is the shape's
// name, as AWS does for shapes without a query trait).
func newErr(status int, shape, query, format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Status: status, Code: shape, QueryCode: query, Message: fmt.Sprintf(format, args...)}
}

// The errors of the SQS model, with the status and query code the SDK's
// schema gives each (service/sqs/schemas).
func errQueueDoesNotExist() *awsproto.Error {
	return newErr(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

func errQueueNameExists(name string) *awsproto.Error {
	return newErr(400, "QueueNameExists", "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute(s) of %s.", name)
}

func errInvalidAttributeName(format string, args ...any) *awsproto.Error {
	return newErr(400, "InvalidAttributeName", "", format, args...)
}

func errInvalidAttributeValue(format string, args ...any) *awsproto.Error {
	return newErr(400, "InvalidAttributeValue", "", format, args...)
}

func errInvalidParameterValue(format string, args ...any) *awsproto.Error {
	return newErr(400, "InvalidParameterValue", "", format, args...)
}

func errMissingParameter(name string) *awsproto.Error {
	return newErr(400, "MissingParameter", "", "The request must contain the parameter %s.", name)
}

func errInvalidMessageContents(format string, args ...any) *awsproto.Error {
	return newErr(400, "InvalidMessageContents", "", format, args...)
}

func errReceiptHandleIsInvalid(handle string) *awsproto.Error {
	return newErr(404, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle.", handle)
}

// errStaleReceiptHandle is SQS's answer to ChangeMessageVisibility with a
// well-formed handle whose message was deleted or received again since.
// The API reference lists only ReceiptHandleIsInvalid and
// MessageNotInflight for the operation, but the service answers this
// InvalidParameterValue, and clients match on it.
func errStaleReceiptHandle(handle string) *awsproto.Error {
	return errInvalidParameterValue("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", handle)
}

func errMessageNotInflight() *awsproto.Error {
	return newErr(400, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", "The message referred to is not in flight.")
}

// errEmptyBatch names the operation's entry type as SQS does, e.g.
// "There should be at least one SendMessageBatchRequestEntry in the
// request."
func errEmptyBatch(op string) *awsproto.Error {
	return newErr(400, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", "There should be at least one %sRequestEntry in the request.", op)
}

// errInvalidQueueName is CreateQueue's answer to a name SQS refuses; its
// text has no final full stop, as SQS's has none.
func errInvalidQueueName() *awsproto.Error {
	return errInvalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
}

func errTooManyEntries(n int) *awsproto.Error {
	return newErr(400, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent %d.", n)
}

func errBatchIDsNotDistinct(id string) *awsproto.Error {
	return newErr(400, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id %s repeated.", id)
}

func errInvalidBatchEntryID() *awsproto.Error {
	return newErr(400, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
}

func errBatchTooLong(size, limit int) *awsproto.Error {
	return newErr(400, "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", limit, size)
}

func errPurgeInProgress(name string) *awsproto.Error {
	return newErr(400, "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", "Only one PurgeQueue operation on %s is allowed every 60 seconds.", name)
}

func errUnsupportedOperation(format string, args ...any) *awsproto.Error {
	return newErr(400, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", format, args...)
}

func errResourceNotFound(format string, args ...any) *awsproto.Error {
	return newErr(404, "ResourceNotFoundException", "ResourceNotFoundException", format, args...)
}

func errInvalidAddress(addr string) *awsproto.Error {
	return newErr(404, "InvalidAddress", "InvalidAddress", "The address %s is not valid for this endpoint.", addr)
}

func errInternal(err error) *awsproto.Error {
	return &awsproto.Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: "localcloud: " + err.Error()}
}

func errNoDeduplicationID() *awsproto.Error {
	return errInvalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
}
