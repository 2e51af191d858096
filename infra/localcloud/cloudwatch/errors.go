package cloudwatch

import (
	"fmt"
	"net/http"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// CloudWatch errors. Code is the modelled shape (__type in JSON and CBOR);
// QueryCode the awsQueryCompatible code the SDKs report
// (x-amzn-query-error), where the model gives one that differs.

// errValidation is CloudWatch's answer to a parameter that breaks the
// model's constraints; it has no modelled shape.
func errValidation(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

func errInvalidParameterValue(format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Status: http.StatusBadRequest, Code: "InvalidParameterValueException", QueryCode: "InvalidParameterValue",
		Message: fmt.Sprintf(format, args...)}
}

func errInvalidParameterCombination(format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Status: http.StatusBadRequest, Code: "InvalidParameterCombinationException", QueryCode: "InvalidParameterCombination",
		Message: fmt.Sprintf(format, args...)}
}

func errMissingParameter(name string) *awsproto.Error {
	return &awsproto.Error{Status: http.StatusBadRequest, Code: "MissingRequiredParameterException", QueryCode: "MissingParameter",
		Message: fmt.Sprintf("The parameter %s is required.", name)}
}

// errAlarmNotFound is ResourceNotFound, the error of the alarm
// operations (SetAlarmState).
func errAlarmNotFound(name string) *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, "ResourceNotFound", "Alarm %s not found", name)
}

// errResourceNotFoundException is the error of the tagging operations,
// a shape of its own.
func errResourceNotFoundException(arn string) *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, "ResourceNotFoundException", "Resource %s not found", arn)
}

func errInvalidFormat(format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Status: http.StatusBadRequest, Code: "InvalidFormatFault", QueryCode: "InvalidFormat",
		Message: fmt.Sprintf(format, args...)}
}

func errInvalidNextToken() *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "InvalidNextToken", "The service couldn't process your request because the NextToken is invalid.")
}

func errInternal(err error) *awsproto.Error {
	return &awsproto.Error{Status: http.StatusInternalServerError, Code: "InternalServiceFault", QueryCode: "InternalServiceError",
		Message: fmt.Sprintf("Internal error: %v", err)}
}

// errNotEmulated refuses a feature the emulator does not evaluate, rather
// than keeping an alarm it would never evaluate as asked.
func errNotEmulated(what string) *awsproto.Error {
	return errInvalidParameterValue("localcloud does not emulate %s; it evaluates alarms on one metric with a static threshold.", what)
}
