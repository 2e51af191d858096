package invoke

import "syscall"

// sysProcAttr puts the RIE in a process group of its own, so a Ctrl-C
// meant for eventchain reaches it only through Close, and makes it die
// with eventchain even when eventchain is killed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func checkPlatform() error { return nil }
