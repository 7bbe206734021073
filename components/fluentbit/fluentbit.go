// Package fluentbit renders the log shipper's user data: fluent-bit installed
// from its Amazon Linux 2023 repository, tailing paths into a Kinesis stream.
package fluentbit

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

var templates = template.Must(template.ParseFS(files, "*.tmpl"))

// CSVRegex parses the sample app's CSV log lines (Onigmo named groups, as fluent-bit reads them).
const CSVRegex = `^(?<id>[^,]*),(?<first_name>[^,]*),(?<last_name>[^,]*),(?<email>[^,]*),(?<gender>[^,]*),(?<ip_address>[^,]*)$`

// Config is what the shipper needs to know.
type Config struct {
	Region string
	Stream string
	Paths  []string
	CSV    bool
}

// UserData renders the instance's user data script.
func UserData(c Config) (string, error) {
	if c.Region == "" || c.Stream == "" || len(c.Paths) == 0 {
		return "", fmt.Errorf("fluent-bit: region, stream and paths are required")
	}
	data := map[string]any{
		"Region": c.Region, "Stream": c.Stream, "CSV": c.CSV,
		"PathList": strings.Join(c.Paths, ","), "CSVRegex": CSVRegex,
	}
	render := func(name string) (string, error) {
		var b bytes.Buffer
		err := templates.ExecuteTemplate(&b, name, data)
		return strings.TrimRight(b.String(), "\n"), err
	}
	conf, err := render("fluent-bit.conf.tmpl")
	if err != nil {
		return "", err
	}
	parsers, err := render("parsers.conf.tmpl")
	if err != nil {
		return "", err
	}
	data["Config"], data["Parsers"] = conf, parsers
	return render("user-data.sh.tmpl")
}
