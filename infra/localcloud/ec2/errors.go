package ec2

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// serverCodes are the error codes AWS answers with a 5xx status; every other
// code is a client error (400), except DryRunOperation (412).
var serverCodes = map[string]int{
	"InsufficientInstanceCapacity": http.StatusInternalServerError,
	"InsufficientCapacity":         http.StatusInternalServerError,
	"InsufficientHostCapacity":     http.StatusInternalServerError,
	"InternalError":                http.StatusInternalServerError,
	"InternalFailure":              http.StatusInternalServerError,
	"RequestLimitExceeded":         http.StatusServiceUnavailable,
	"ServiceUnavailable":           http.StatusServiceUnavailable,
	"Unavailable":                  http.StatusServiceUnavailable,
}

// statusFor returns the HTTP status AWS uses for an error code.
func statusFor(code string) int {
	if s, ok := serverCodes[code]; ok {
		return s
	}
	if code == "DryRunOperation" {
		return http.StatusPreconditionFailed
	}
	return http.StatusBadRequest
}

func errorf(code, format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(statusFor(code), code, format, args...)
}

func invalidValue(param, value string) *awsproto.Error {
	return errorf("InvalidParameterValue", "Invalid value '%s' for %s.", value, param)
}

func missingParam(param string) *awsproto.Error {
	return errorf("MissingParameter", "The request must contain the parameter %s", param)
}

func dryRunOK() *awsproto.Error {
	return errorf("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
}

func throttled() *awsproto.Error {
	return errorf("RequestLimitExceeded", "Request limit exceeded.")
}

func instancesNotFound(ids []string) *awsproto.Error {
	if len(ids) == 1 {
		return errorf("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", ids[0])
	}
	return errorf("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", strings.Join(ids, ", "))
}

// defaultMessage is the message an injected failure carries.
func defaultMessage(code, instanceType string) string {
	switch code {
	case "InsufficientInstanceCapacity":
		return fmt.Sprintf("We currently do not have sufficient %s capacity in the Availability Zone you requested. Our system will be working on provisioning additional capacity.", instanceType)
	case "InvalidAMIID.NotFound":
		return "The image id does not exist"
	case "RequestLimitExceeded":
		return "Request limit exceeded."
	case "InternalError":
		return "An internal error has occurred"
	case "Unavailable":
		return "The server is overloaded and can't handle the request."
	}
	return code
}
