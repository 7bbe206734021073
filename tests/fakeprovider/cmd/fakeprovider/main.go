// Command fakeprovider is installed as pulumi-resource-aws and
// pulumi-resource-random in a test's PULUMI_HOME; its file name says which.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/haina-data/haina/tests/fakeprovider"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func main() {
	name := strings.TrimPrefix(filepath.Base(os.Args[0]), "pulumi-resource-")
	if _, ok := fakeprovider.Versions[name]; !ok {
		fmt.Fprintf(os.Stderr, "fakeprovider: install me as pulumi-resource-aws or pulumi-resource-random, not %s\n", os.Args[0])
		os.Exit(2)
	}
	err := provider.Main(name, func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &fakeprovider.Server{Name: name}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
