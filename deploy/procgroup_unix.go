//go:build unix

package deploy

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup keeps the CLI out of the terminal's process group: a Ctrl-C
// then reaches only the program, which interrupts the CLI once itself (a second
// interrupt from the terminal would make the CLI stop waiting for its operations).
func ownProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }
