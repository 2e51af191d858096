package dynamodb

import (
	"errors"
	"net/http"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// The errors DynamoDB answers, with its texts.

func errValidation(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

func errTableNotFound(name string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "Requested resource not found: Table: %s not found", name)
}

// errResourceNotFound is what item operations answer for a missing
// table: DynamoDB does not name it there.
func errResourceNotFound() *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "Requested resource not found")
}

func errTableExists(name string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "ResourceInUseException", "Table already exists: %s", name)
}

// errConditionFailed carries the item as it was when
// ReturnValuesOnConditionCheckFailure asks for it (nil otherwise).
func errConditionFailed(old attr.Item) *awsproto.Error {
	e := awsproto.Errorf(http.StatusBadRequest, "ConditionalCheckFailedException", "The conditional request failed")
	if old != nil {
		e.Fields = map[string]any{"Item": old}
	}
	return e
}

func errKeySchema() *awsproto.Error {
	return errValidation("The provided key element does not match the schema")
}

func errInvalidReturnValues() *awsproto.Error {
	return errValidation("Return values set to invalid value")
}

func errItemTooLarge() *awsproto.Error {
	return errValidation("Item size has exceeded the maximum allowed size")
}

func errMissing(param string) *awsproto.Error {
	return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", param)
}

// errStorage is a write that did not reach the disk; the change was
// rolled back.
func errStorage(err error) *awsproto.Error {
	return awsproto.Errorf(http.StatusInternalServerError, "InternalServerError", "localcloud could not store the change, which was not made: %v", err)
}

// fromExpr turns an error of the attr or expr packages, whose texts are
// DynamoDB's, into the answer.
func fromExpr(err error) *awsproto.Error {
	var ae *attr.Error
	if errors.As(err, &ae) {
		return awsproto.Errorf(http.StatusBadRequest, ae.Code, "%s", ae.Message)
	}
	return errValidation("%s", err.Error())
}

// cancellationReason is one entry of TransactionCanceledException's
// CancellationReasons, in the order of the request's items.
type cancellationReason struct {
	Code    string    `json:"Code"`
	Message string    `json:"Message,omitempty"`
	Item    attr.Item `json:"Item,omitempty"`
}

func errTransactionCanceled(reasons []cancellationReason) *awsproto.Error {
	codes := ""
	for i, r := range reasons {
		if i > 0 {
			codes += ", "
		}
		codes += r.Code
	}
	e := awsproto.Errorf(http.StatusBadRequest, "TransactionCanceledException",
		"Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", codes)
	e.Fields = map[string]any{"CancellationReasons": reasons}
	return e
}
