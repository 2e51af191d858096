package awsmsg

// Attribute is an SNS or SQS message attribute. DataType is "String",
// "Number" or "Binary", optionally followed by ".<custom type>".
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}
