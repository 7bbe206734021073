package tests

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/tests/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// configKeys lists every structured config key the code reads, from the json
// tags of the config structs: haina:<object>.<field>[.<field>].
func configKeys(prefix string, t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + "." + tag
		if f.Type.Kind() == reflect.Struct {
			keys = append(keys, configKeys(key, f.Type)...)
		} else {
			keys = append(keys, key)
		}
	}
	return keys
}

// The config reference (docs/config.md) names every key the code reads, and every
// top-level key is declared in Pulumi.yaml.
func TestReadmeConfigReferenceMatchesCode(t *testing.T) {
	root, err := harness.RepoRoot()
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "docs", "config.md"))
	require.NoError(t, err)
	project, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)

	keys := []string{"haina:environment", "haina:prefix", "haina:protect", "haina:tags"}
	for name, typ := range map[string]reflect.Type{
		"haina:network":          reflect.TypeOf(components.NetworkConfig{}),
		"haina:stream":           reflect.TypeOf(components.StreamConfig{}),
		"haina:warehouse":        reflect.TypeOf(components.WarehouseConfig{}),
		"haina:ingestion":        reflect.TypeOf(components.IngestionConfig{}),
		"haina:producer":         reflect.TypeOf(components.ProducerConfig{}),
		"haina:logShipper":       reflect.TypeOf(components.LogShipperConfig{}),
		"haina:lake":             reflect.TypeOf(components.LakeConfig{}),
		"haina:flowLogs":         reflect.TypeOf(components.FlowLogsConfig{}),
		"haina:redshiftDelivery": reflect.TypeOf(components.RedshiftDeliveryConfig{}),
		"haina:cdc":              reflect.TypeOf(components.CDCConfig{}),
	} {
		keys = append(keys, configKeys(name, typ)...)
		assert.True(t, strings.Contains(string(project), "\n  "+strings.TrimPrefix(name, "haina:")+":\n"), "Pulumi.yaml does not declare %s", name)
	}
	for _, k := range keys {
		assert.True(t, strings.Contains(string(readme), "`"+k+"`"), "docs/config.md misses %s", k)
	}
}
