package aggregate

import (
	"sort"
	"unique"

	"github.com/herolog/herolog/parse"
)

// RouteStat is the numbers of one templated route (see Route): the
// candidates to move to a background job or a separate pool of dynos.
// Quantiles keep two significant digits; Max and Mean are exact.
type RouteStat struct {
	Route    string  `json:"route"`
	Requests int64   `json:"requests"`
	P50MS    int64   `json:"p50_ms"`
	P99MS    int64   `json:"p99_ms"`
	MaxMS    int64   `json:"max_ms"`
	MeanMS   float64 `json:"mean_ms"`
	// ServiceShare is the route's share of the total service time of all
	// requests, a fraction from 0 to 1.
	ServiceShare float64 `json:"service_share"`
	H12          int64   `json:"h12"`
	Errors       int64   `json:"errors"` // requests with an error code or a 5xx status
}

// routeStat is one route's state. Seq is the order in which routes were
// first seen, so the cap folds the same routes however the input was split
// (exact when shards are merged in input order).
type routeStat struct {
	Key     string
	Seq     int64
	Service hist2
	N       int64 // requests, with or without service=
	H12     int64
	Errors  int64
	h       unique.Handle[string] // Key's handle, made on first use (see handle)
}

// handle returns the unique.Handle of s.Key, which the head-of-line
// section keeps with each request instead of the string.
func (s *routeStat) handle() unique.Handle[string] {
	if s.h == (unique.Handle[string]{}) {
		s.h = unique.Make(s.Key)
	}
	return s.h
}

// routeStats keeps per-route numbers, at most MaxRoutes routes plus other.
type routeStats struct {
	Routes  map[string]*routeStat
	Other   *routeStat
	NextSeq int64
}

func (rs *routeStats) init() { rs.Routes = map[string]*routeStat{} }

// lookup returns the state of the templated route key (OtherKey's when
// folded), creating it as needed.
func (rs *routeStats) lookup(key []byte) *routeStat {
	s, ok := rs.Routes[string(key)] // no allocation on a hit
	if !ok {
		s = rs.newRoute(string(key), -1)
	}
	return s
}

// add counts r in the route; idx is its service time's section bucket
// (hist2.recordIdx).
func (s *routeStat) add(r *parse.Record, idx int) {
	s.N++
	if r.Service >= 0 {
		s.Service.recordIdx(r.Service, idx)
	}
	if r.Code == "H12" {
		s.H12++
	}
	if r.IsError() {
		s.Errors++
	}
}

// newRoute returns the state of a route not yet kept: a new one while
// under the cap, else other. seq < 0 takes the next sequence number.
func (rs *routeStats) newRoute(key string, seq int64) *routeStat {
	if len(rs.Routes) >= MaxRoutes {
		if rs.Other == nil {
			rs.Other = &routeStat{Key: OtherKey}
		}
		return rs.Other
	}
	if seq < 0 {
		seq = rs.NextSeq
	}
	rs.NextSeq = max(rs.NextSeq, seq) + 1
	s := &routeStat{Key: key, Seq: seq}
	rs.Routes[key] = s
	return s
}

func (s *routeStat) merge(o *routeStat) {
	s.Service.merge(&o.Service)
	s.N += o.N
	s.H12 += o.H12
	s.Errors += o.Errors
}

// merge adds o's routes: routes new to rs are taken in o's first-seen
// order, after rs's own, as one pass over rs's input then o's would.
func (rs *routeStats) merge(o *routeStats) {
	keys := make([]*routeStat, 0, len(o.Routes))
	for _, s := range o.Routes {
		keys = append(keys, s)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Seq < keys[j].Seq })
	base := rs.NextSeq
	for _, s := range keys {
		mine, ok := rs.Routes[s.Key]
		if !ok {
			mine = rs.newRoute(s.Key, base+s.Seq)
		}
		mine.merge(s)
	}
	if o.Other != nil {
		if rs.Other == nil {
			rs.Other = &routeStat{Key: OtherKey}
		}
		rs.Other.merge(o.Other)
	}
}

func (rs *routeStats) all() []*routeStat {
	out := make([]*routeStat, 0, len(rs.Routes)+1)
	for _, s := range rs.Routes {
		out = append(out, s)
	}
	if rs.Other != nil {
		out = append(out, rs.Other)
	}
	return out
}

func (rs *routeStats) report() []RouteStat {
	var total int64
	all := rs.all()
	for _, s := range all {
		total += s.Service.Sum
	}
	out := make([]RouteStat, 0, len(all))
	for _, s := range all {
		st := RouteStat{
			Route: s.Key, Requests: s.N, P50MS: s.Service.quantile(0.5), P99MS: s.Service.quantile(0.99),
			MaxMS: s.Service.Max, MeanMS: round1(s.Service.mean()), H12: s.H12, Errors: s.Errors,
		}
		if total > 0 {
			st.ServiceShare = round3(float64(s.Service.Sum) / float64(total))
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ServiceShare != out[j].ServiceShare {
			return out[i].ServiceShare > out[j].ServiceShare
		}
		if out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		return out[i].Route < out[j].Route
	})
	return out
}

// p50s returns each route's median service time in ms.
func (rs *routeStats) p50s() map[string]int64 {
	m := make(map[string]int64, len(rs.Routes)+1)
	for _, s := range rs.all() {
		m[s.Key] = s.Service.quantile(0.5)
	}
	return m
}
