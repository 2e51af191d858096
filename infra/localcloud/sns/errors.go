package sns

import (
	"fmt"
	"net/http"
)

// apiError is an error answered to the client in SNS's ErrorResponse shape.
type apiError struct {
	status  int
	code    string
	message string
	sender  bool
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errInvalidParameter(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameter", fmt.Sprintf(format, args...), true}
}

func errParameterValueInvalid(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ParameterValueInvalid", fmt.Sprintf(format, args...), true}
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "NotFound", fmt.Sprintf(format, args...), true}
}

func errResourceNotFound() *apiError {
	return &apiError{http.StatusNotFound, "ResourceNotFound", "Resource does not exist", true}
}

func errInternal(err error) *apiError {
	return &apiError{http.StatusInternalServerError, "InternalError", "Internal error: " + err.Error(), false}
}

func errCode(status int, code, message string) *apiError {
	return &apiError{status, code, message, status < 500}
}
