package aggregate

import (
	"slices"
	"testing"

	"github.com/herolog/herolog/parse"
)

// TestHOLSharedVictims: requests in flight behind two overlapping culprits
// of one dyno count once in the totals and once per culprit in the
// incidents, and a culprit delayed behind another is secondary.
func TestHOLSharedVictims(t *testing.T) {
	type req struct {
		dyno, path   string
		startS, svcM int64 // start (s), service (ms)
	}
	var reqs []req
	for i := range 200 { // the route's median: 20 ms
		reqs = append(reqs, req{"web.2", "/a", int64(i) * 120 / 200, 20})
	}
	reqs = append(reqs,
		req{"web.1", "/slow", 10, 60_000}, // culprit A: 10 s to 70 s
		req{"web.1", "/a", 20, 5_000},     // culprit B, in A: 20 s to 25 s, delayed behind A
		req{"web.1", "/a", 40, 2_000},     // a victim of A only
	)
	for s := int64(21); s <= 24; s++ { // victims of A and of B
		reqs = append(reqs, req{"web.1", "/a", s, 2_500})
	}
	for _, order := range []string{"by end", "by start"} {
		t.Run(order, func(t *testing.T) {
			end := func(r req) int64 { return r.startS*1e6 + r.svcM*1000 }
			slices.SortStableFunc(reqs, func(a, b req) int {
				if order == "by start" {
					return int(a.startS - b.startS)
				}
				return int(end(a) - end(b))
			})
			a := New(Options{})
			for _, q := range reqs {
				r := parse.Record{Kind: parse.KindRouter, HasTime: true, Time: 1_800_000_000e6 + end(q),
					Dyno: q.dyno, Path: []byte(q.path), Method: "GET", Service: q.svcM, Connect: 0, Status: 200}
				a.Add(&r)
			}
			h := a.Report().HOL
			if h.Examined != 2 || h.Victims != 6 || h.Delayed != 6 {
				t.Fatalf("examined %d, victims %d, delayed %d; want 2, 6, 6 (B and 5 others, each once)", h.Examined, h.Victims, h.Delayed)
			}
			want := map[string]HOLIncident{
				"/slow": {Victims: 6, Delayed: 6},
				"/a":    {Victims: 4, Delayed: 4, Secondary: true},
			}
			if len(h.Incidents) != 2 {
				t.Fatalf("%d incidents, want 2", len(h.Incidents))
			}
			for _, inc := range h.Incidents {
				w := want[inc.Path]
				if inc.Victims != w.Victims || inc.Delayed != w.Delayed || inc.Secondary != w.Secondary {
					t.Errorf("%s: victims %d, delayed %d, secondary %v; want %d, %d, %v", inc.Path, inc.Victims, inc.Delayed, inc.Secondary, w.Victims, w.Delayed, w.Secondary)
				}
			}
		})
	}
}
