#!/usr/bin/env bash
# Builds the Pulumi CLI pinned in go.mod into $1 (default: ../../.cache/pulumi-v3.259.0),
# unless a binary of that version is already there. Only the Go module proxy is used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=v3.259.0
out="${1:-$here/../../.cache/pulumi-$version}"
mkdir -p "$out/bin"
if [ -x "$out/bin/pulumi" ] && "$out/bin/pulumi" version 2>/dev/null | grep -qx "$version"; then
  exit 0
fi
cd "$here"
go build -trimpath -o "$out/bin/pulumi.tmp" \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$out/bin/pulumi.tmp" "$out/bin/pulumi"
