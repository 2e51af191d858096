// Package samtemplate reads the AWS SAM template (template.yaml) the way
// CloudFormation and the SAM transform would, far enough for the local
// runner to build the same topology: parameters with SAM-style overrides,
// conditions, Globals, intrinsic functions (short and long forms), and typed
// views of the queues, topics, subscriptions, tables and functions.
//
// What CloudFormation would decide at deploy time (queue URLs, ARNs, table
// names) comes from a Resolver the caller supplies; LocalResolver gives the
// shapes AWS uses, on a local endpoint.
//
// Physical names: a resource that sets its name property (QueueName,
// TopicName, TableName, FunctionName) is called that; otherwise it is called
// <stack>-<LogicalId> (with ".fifo" appended for a FIFO queue or topic).
// CloudFormation would add a random suffix; locally the name stays stable
// so that state persisted under a data directory survives restarts.
package samtemplate
