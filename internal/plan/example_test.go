package plan_test

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/internal/plan"
	"github.com/herolog/herolog/parse"
)

// A generated log of an app on 2 dynos × 2 workers that gets a traffic
// spike above its capacity: the plan reads the configuration from the log
// and finds how many dynos random routing and least-connections need.
func Example() {
	var log bytes.Buffer
	gen.New(gen.Config{Seed: 1, Scenario: gen.TooFewDynos, Duration: 3 * time.Minute}).WriteTo(&log)

	col := plan.NewCollector()
	rd := parse.NewReader(&log, parse.NewParser())
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		col.Add(r)
	}
	target, _ := plan.ParseTarget("p99 queue < 500ms")
	rep, err := plan.Plan(col, plan.Options{Dynos: []int{2, 3, 4, 5, 6, 8, 10, 12}, Target: target, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("read %d dynos × %d workers (%s)\n", rep.CurrentDynos, rep.Workers, rep.WorkersSource)
	for _, rec := range rep.Recommended {
		fmt.Printf("%s: %d dynos\n", rec.Routing, rec.Dynos)
	}
	// Output:
	// read 2 dynos × 2 workers (inferred)
	// random: 5 dynos
	// least-conn: 3 dynos
}
