//go:build unix

package deploy

import (
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup keeps the CLI out of the terminal's process group: a Ctrl-C
// then reaches only the program, which interrupts the CLI once itself (a second
// interrupt from the terminal would make the CLI stop waiting for its operations).
func ownProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills the CLI's whole process group: the providers it started too,
// not only the CLI.
func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
