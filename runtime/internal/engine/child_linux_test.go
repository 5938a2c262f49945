package engine

import (
	"syscall"
)

// childAttr makes a child App die with the test process, so a failed or
// interrupted test leaves no process behind.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
