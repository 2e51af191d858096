// Package sts emulates the one call of AWS STS that tools and test
// fixtures make first to learn which account they talk to:
// GetCallerIdentity, over the query protocol (version 2011-06-15). Every
// caller is the account's root.
package sts
