package gen

import "time"

// SampleConfig is the configuration of the project's shipped sample,
// testdata/sample.log: 15 minutes of CLI output from 4 web dynos with 2
// workers each at 3 requests/s; one request on web.3 is stuck for 28 s
// around minute 5, and /reports/export is slow (median 25 s, 0.2% of
// requests), producing a few H12s.
func SampleConfig() Config {
	return Config{
		Seed:            1,
		Duration:        15 * time.Minute,
		Dynos:           4,
		Workers:         2,
		Rate:            3,
		Scenario:        StuckDyno,
		StuckDyno:       3,
		StuckAt:         5 * time.Minute,
		StuckFor:        28 * time.Second,
		SlowRoute:       "/reports/export",
		SlowRouteMedian: 25 * time.Second,
		SlowRouteShare:  0.002,
		AppLineRatio:    0.15,
		L10Every:        6 * time.Minute,
	}
}
