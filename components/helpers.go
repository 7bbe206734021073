package components

// Helpers shared by several components, and the checker every config
// section's rules report through.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/haina-data/haina/provider"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// checker collects config errors under one key prefix, so a section's rules
// name their keys relative to it ("name" under "haina:stream" reports
// haina:stream.name). Every error names the key, the bad value and what is
// allowed. A checker with no prefix takes full keys (rules spanning sections).
type checker struct {
	prefix string
	errs   *[]error
}

// bad records that key holds value, which is not allowed, and what is.
func (c checker) bad(key string, value any, allowed string) {
	*c.errs = append(*c.errs, fmt.Errorf("%s: %v is not allowed; %s", c.key(key), quoteValue(value), allowed))
}

// in is the checker of a nested section ("kafka" under "haina:cdc").
func (c checker) in(section string) checker { return checker{prefix: c.key(section), errs: c.errs} }

func (c checker) key(k string) string {
	switch {
	case c.prefix == "":
		return k
	case k == "":
		return c.prefix
	case strings.HasSuffix(c.prefix, ":") || strings.HasPrefix(k, "["):
		return c.prefix + k
	}
	return c.prefix + "." + k
}

// CloudWatch Logs accepts only these retention periods (the provider's list).
var logRetentionDays = provider.RetentionDays

// logRetention checks a log group's retention in days.
func (c checker) logRetention(key string, days int) {
	if !slices.Contains(logRetentionDays, days) {
		c.bad(key, days, fmt.Sprintf("allowed: one of %v", logRetentionDays))
	}
}

// withName copies tags and adds the Name tag the EC2 console shows.
func withName(tags pulumi.StringMap, name string) pulumi.StringMap {
	out := pulumi.StringMap{"Name": pulumi.String(name)}
	for k, v := range tags {
		out[k] = v
	}
	return out
}

// glueName turns "haina-staging" into "haina_staging": Glue and Athena names are lowercase with underscores.
func glueName(s string) string { return strings.ReplaceAll(s, "-", "_") }

// shortHash is 8 hex characters of a name's SHA-256.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

// sortedUnique is in sorted, without repeats.
func sortedUnique(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	j := 0
	for i, v := range out {
		if i == 0 || v != out[j-1] {
			out[j] = v
			j++
		}
	}
	return out[:j]
}

// sortedKeys is a map's keys in order: iterating it keeps output stable.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// quoteValue renders a bad value for an error message, strings quoted.
func quoteValue(v any) string {
	switch t := v.(type) {
	case string:
		return fmt.Sprintf("%q", t)
	case Environment:
		return fmt.Sprintf("%q", string(t))
	case []string:
		return fmt.Sprintf("%q", t)
	}
	return fmt.Sprint(v)
}

// atLeast compares a dotted version (as decimal strings) with a minimum.
func atLeast(parts []string, min []int) bool {
	for i, p := range parts {
		var n int
		fmt.Sscan(p, &n)
		if n != min[i] {
			return n > min[i]
		}
	}
	return true
}

// copyTags is a copy of tags a component may add to (RedshiftDbRoles) without
// changing the caller's map.
func copyTags(tags pulumi.StringMap) pulumi.StringMap {
	out := pulumi.StringMap{}
	for k, v := range tags {
		out[k] = v
	}
	return out
}

// setField is a config key and the value a stack file gave it.
type setField struct {
	key   string
	value any
}

// changedFields lists the config keys (section.field, by JSON name) whose
// values in got differ from def: what a stack file set. Nested structs are
// walked; anything else is compared whole.
func changedFields(got, def any, section string) []setField {
	gv, dv := reflect.ValueOf(got), reflect.ValueOf(def)
	var out []setField
	for i := 0; i < gv.NumField(); i++ {
		f := gv.Type().Field(i)
		key := section + "." + strings.Split(f.Tag.Get("json"), ",")[0]
		if f.Type.Kind() == reflect.Struct {
			out = append(out, changedFields(gv.Field(i).Interface(), dv.Field(i).Interface(), key)...)
			continue
		}
		if !reflect.DeepEqual(gv.Field(i).Interface(), dv.Field(i).Interface()) {
			out = append(out, setField{key, gv.Field(i).Interface()})
		}
	}
	return out
}
