//go:build !linux

package invoke

import (
	"errors"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// checkPlatform refuses what only Linux has: the RIE runs on Linux only,
// and memory is read from /proc.
func checkPlatform() error {
	return errors.New("the Lambda Runtime Interface Emulator runs on Linux only: use sam local invoke (Docker) here")
}
