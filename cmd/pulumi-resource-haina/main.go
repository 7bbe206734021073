// Command pulumi-resource-haina is haina's Pulumi provider plugin. Build it with
// `go build -o bin/pulumi-resource-haina ./cmd/pulumi-resource-haina`; Pulumi.yaml
// points the engine at bin/.
package main

import (
	"fmt"
	"os"

	"github.com/haina-data/haina/provider"
	pulumiprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func main() {
	err := pulumiprovider.Main(provider.Name, func(*pulumiprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return provider.NewServer(), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
