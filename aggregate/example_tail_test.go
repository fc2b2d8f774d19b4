package aggregate_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

// The diagnosis of a generated log in which one request on web.3 is stuck
// for 28 s while its dyno has a single worker.
func ExampleReport_findings() {
	var log bytes.Buffer
	if _, err := gen.New(gen.Config{Seed: 12, Scenario: gen.StuckDyno}).WriteTo(&log); err != nil {
		panic(err)
	}
	agg := aggregate.New(aggregate.Options{})
	rd := parse.NewReader(&log, nil)
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		agg.Add(r)
	}
	for _, f := range agg.Report().Findings {
		fmt.Println(f.Severity, f.Kind, f.Evidence["dyno"], f.Evidence["service_ms"])
	}
	// Output:
	// critical stuck_dyno web.3 28144
}
