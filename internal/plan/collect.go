package plan

import (
	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/parse"
)

// MaxRoutes is the most distinct routes a Collector keeps: MaxRoutes-1
// templates, then OtherRoute for the requests of all further ones.
const MaxRoutes = 10000

// OtherRoute is the route of requests beyond MaxRoutes distinct templates.
const OtherRoute = "(other)"

// maxDynos is the most distinct dynos a Collector keeps (dyno indexes are
// uint16); requests to further dynos are skipped and counted.
const maxDynos = 1<<16 - 1

// Skipped counts the router lines a Collector could not use, by reason.
type Skipped struct {
	// NoService counts lines without a service= value.
	NoService int64 `json:"no_service"`
	// NoDyno counts lines that name no dyno (dyno= empty or "none"): the
	// request never reached one.
	NoDyno int64 `json:"no_dyno"`
	// NoTime counts lines without a readable timestamp.
	NoTime int64 `json:"no_time"`
	// Legacy counts pre-2013 router lines (queue=/wait=), which the plan
	// does not use.
	Legacy int64 `json:"legacy"`
	// TooManyDynos counts lines to dynos beyond the first 65,535 distinct
	// names.
	TooManyDynos int64 `json:"too_many_dynos"`
}

// Total returns the number of skipped lines.
func (s Skipped) Total() int64 {
	return s.NoService + s.NoDyno + s.NoTime + s.Legacy + s.TooManyDynos
}

// Collector keeps what a plan needs of every router request, compactly (a
// struct of arrays, about 23 bytes a request): the line's time, dyno,
// connect and service times, route and whether it was an H12. Add it every
// record of a scan; the zero value is not ready, use NewCollector.
type Collector struct {
	end     []int64  // router line time, µs since the epoch
	connect []int32  // connect=, ms (0 when missing)
	service []int32  // service=, ms
	dyno    []uint16 // index into dynos
	route   []int32  // index into routes
	h12     []bool   // the line was an H12 (router timeout)

	dynos    []string
	dynoIdx  map[string]uint16
	routes   []string
	routeIdx map[string]int32
	buf      []byte

	// RouterLines is the number of router records seen, used or not.
	RouterLines int64
	// Skipped counts the router records not used, by reason.
	Skipped Skipped
}

// NewCollector returns an empty Collector.
func NewCollector() *Collector {
	return &Collector{dynoIdx: map[string]uint16{}, routeIdx: map[string]int32{}}
}

// Add records r if it is a router request that reached a dyno and has a
// service time; any other record is ignored, and router records that
// cannot be used are counted in Skipped. Add copies what it keeps.
func (c *Collector) Add(r *parse.Record) {
	if r.Kind != parse.KindRouter {
		return
	}
	c.RouterLines++
	switch {
	case r.Legacy:
		c.Skipped.Legacy++
		return
	case !r.HasTime:
		c.Skipped.NoTime++
		return
	case r.Dyno == "" || r.Dyno == "none":
		c.Skipped.NoDyno++
		return
	case r.Service < 0:
		c.Skipped.NoService++
		return
	}
	d, ok := c.dynoIdx[r.Dyno]
	if !ok {
		if len(c.dynos) >= maxDynos {
			c.Skipped.TooManyDynos++
			return
		}
		d = uint16(len(c.dynos))
		c.dynos = append(c.dynos, r.Dyno)
		c.dynoIdx[r.Dyno] = d
	}
	c.buf = aggregate.Route(c.buf[:0], r.Path)
	rt, ok := c.routeIdx[string(c.buf)]
	if !ok {
		key := string(c.buf)
		if len(c.routes) >= MaxRoutes-1 {
			key = OtherRoute
		}
		if rt, ok = c.routeIdx[key]; !ok {
			rt = int32(len(c.routes))
			c.routes = append(c.routes, key)
			c.routeIdx[key] = rt
		}
	}
	c.end = append(c.end, r.Time)
	c.connect = append(c.connect, clamp32(r.Connect))
	c.service = append(c.service, clamp32(r.Service))
	c.dyno = append(c.dyno, d)
	c.route = append(c.route, rt)
	c.h12 = append(c.h12, r.Code == "H12")
}

// clamp32 returns a millisecond value as int32: missing (negative) as 0,
// and saturated at about 24 days.
func clamp32(v int64) int32 {
	switch {
	case v < 0:
		return 0
	case v > 1<<31-1:
		return 1<<31 - 1
	}
	return int32(v)
}

// Requests returns the number of requests kept.
func (c *Collector) Requests() int { return len(c.end) }

// Dynos returns the distinct dynos seen, in order of first appearance.
func (c *Collector) Dynos() []string { return c.dynos }
