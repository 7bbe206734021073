//go:build !unix

package deploy

import (
	"os"
	"os/exec"
)

func ownProcessGroup(*exec.Cmd) {}

func killGroup(p *os.Process) { _ = p.Kill() }
