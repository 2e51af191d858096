// Package awsmsg holds the message attribute shape that SNS and SQS share,
// so that the emulated SNS can hand a message to the emulated SQS in-process.
package awsmsg

// Attribute is an SNS or SQS message attribute. DataType is "String",
// "Number" or "Binary", optionally followed by ".<custom type>".
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}
