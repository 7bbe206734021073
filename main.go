// Command haina is the Pulumi program: `pulumi up --stack staging`.
package main

import (
	"github.com/haina-data/haina/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		args, err := components.LoadPipelineArgs(ctx)
		if err != nil {
			return err
		}
		_, err = components.NewPipeline(ctx, "haina", args)
		return err
	})
}
