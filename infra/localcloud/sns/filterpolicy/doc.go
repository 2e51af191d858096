// Package filterpolicy parses and evaluates Amazon SNS subscription filter
// policies, for both scopes: message attributes (the default) and message
// body. It implements every documented operator: exact string, number,
// boolean and null matching, prefix, suffix, equals-ignore-case,
// anything-but (values, prefix, suffix, equals-ignore-case), numeric
// comparisons and ranges, exists, cidr, and $or; AND across keys and OR
// within a key's list of conditions.
//
// Parse validates a policy the way SNS does when a subscription's
// FilterPolicy is set, so that an invalid policy is refused by Subscribe and
// SetSubscriptionAttributes rather than silently matching nothing.
package filterpolicy
