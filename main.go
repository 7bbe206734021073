// Command haina is the Pulumi program: `pulumi up --stack staging`.
package main

import (
	"github.com/haina-data/haina/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// components.Program is the two calls: LoadPipelineArgs (config → validated
// args) and NewPipeline; the Automation API (package deploy) runs the same.
func main() {
	pulumi.Run(components.Program)
}
