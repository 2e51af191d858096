package expr

// Kind names the request parameter an expression came from; DynamoDB
// prefixes its messages with it ("Invalid UpdateExpression: …").
type Kind string

// The expression parameters of the DynamoDB API.
const (
	ConditionExpression    Kind = "ConditionExpression"
	FilterExpression       Kind = "FilterExpression"
	KeyConditionExpression Kind = "KeyConditionExpression"
	UpdateExpression       Kind = "UpdateExpression"
	ProjectionExpression   Kind = "ProjectionExpression"
)

// Error is every error this package returns. Its message is DynamoDB's
// text, so the emulator can answer with it as a ValidationException.
type Error struct {
	// Kind is set for errors found in one expression; DynamoDB then
	// prefixes the message with "Invalid <Kind>: ". It is empty for
	// request-level errors (unused placeholders) and for evaluation
	// errors, which DynamoDB reports without a prefix.
	Kind Kind
	// Reason is the message without the prefix.
	Reason string
}

func (e *Error) Error() string {
	if e.Kind == "" {
		return e.Reason
	}
	return "Invalid " + string(e.Kind) + ": " + e.Reason
}

func plain(reason string) *Error { return &Error{Reason: reason} }

// Messages DynamoDB gives while applying an update or evaluating.
const (
	msgBadOperandType = "An operand in the update expression has an incorrect data type"
	msgInvalidPath    = "The document path provided in the update expression is invalid for update"
	msgNoSuchAttr     = "The provided expression refers to an attribute that does not exist in the item"
)
