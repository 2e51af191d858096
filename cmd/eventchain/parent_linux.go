package main

import (
	"fmt"
	"os"
	"syscall"
)

// exitWithParent asks the kernel to send SIGTERM to this process when its
// parent dies. `make run` passes --exit-with-parent: a SIGKILLed make
// would otherwise leave `eventchain run` holding both ports.
func exitWithParent() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0); errno != 0 {
		return fmt.Errorf("--exit-with-parent: %w", errno)
	}
	// The parent may have died before the request took effect.
	if os.Getppid() == 1 {
		return fmt.Errorf("--exit-with-parent: the parent process has already exited")
	}
	return nil
}
