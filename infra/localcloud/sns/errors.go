package sns

import (
	"net/http"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// SNS errors, answered in its ErrorResponse shape by the wire layer.

func errInvalidParameter(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "InvalidParameter", format, args...)
}

func errParameterValueInvalid(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "ParameterValueInvalid", format, args...)
}

func errNotFound(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, "NotFound", format, args...)
}

func errResourceNotFound() *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, "ResourceNotFound", "Resource does not exist")
}

func errInternal(err error) *awsproto.Error {
	return awsproto.Errorf(http.StatusInternalServerError, "InternalError", "Internal error: %v", err)
}

func errCode(status int, code, message string) *awsproto.Error {
	return &awsproto.Error{Status: status, Code: code, Message: message}
}
