//go:build !linux

package main

import "errors"

// exitWithParent needs Linux's PR_SET_PDEATHSIG.
func exitWithParent() error {
	return errors.New("--exit-with-parent is supported on Linux only")
}
