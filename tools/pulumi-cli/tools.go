//go:build tools

// Package pulumicli pins the Pulumi CLI that the engine tests build from the Go
// module proxy (no plugin or binary downloads): see build.sh.
package pulumicli

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
