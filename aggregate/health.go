package aggregate

import (
	"math"
	"sort"
	"strconv"

	"github.com/herolog/herolog/parse"
)

// DynoHealth is one dyno's latency and memory: R14 / R15 memory errors,
// the highest memory reading, restarts and crashes, and whether its latency
// tail lines up with its memory pressure.
type DynoHealth struct {
	Dyno     string  `json:"dyno"`
	Requests int64   `json:"requests"`
	P99MS    int64   `json:"p99_ms"` // service p99 (2 significant digits)
	MaxMS    int64   `json:"max_ms"` // exact maximum service time
	MeanMS   float64 `json:"mean_ms"`
	R14      int64   `json:"r14"`
	R15      int64   `json:"r15"`
	// MaxMemoryMB is the highest memory reading ("Process running mem=" or
	// sample#memory_total) in MB, 0 when none was logged; MaxMemoryAt is
	// when it was logged.
	MaxMemoryMB float64 `json:"max_memory_mb"`
	MaxMemoryAt string  `json:"max_memory_at,omitempty"`
	Restarts    int64   `json:"restarts"` // "Cycling" and "Restarting" events
	Crashes     int64   `json:"crashes"`  // state changes to crashed
	// MemoryPressureMeanMS is the dyno's mean service time in the timeline
	// buckets in which it logged R14 or R15, and CalmMeanMS in the others;
	// both 0 when it logged no memory error (or had no requests then).
	MemoryPressureMeanMS float64 `json:"memory_pressure_mean_ms"`
	CalmMeanMS           float64 `json:"calm_mean_ms"`
	// MemoryTail is true when the latency tail lines up with the memory
	// pressure: the mean under pressure is at least MemoryTailRatio times
	// the calm mean. Flag says so in words.
	MemoryTail bool   `json:"memory_tail"`
	Flag       string `json:"flag,omitempty"`
}

// MemoryTailRatio is how much slower a dyno must be under memory pressure
// than when calm for its tail to be put down to memory.
const MemoryTailRatio = 2.0

type dynoHealth struct {
	Dyno            string
	Service         hist2
	R14, R15        int64
	MaxMem          float64
	MaxMemAt        int64
	Restarts, Crash int64
}

type health struct {
	Dynos map[string]*dynoHealth
}

func (h *health) init() { h.Dynos = map[string]*dynoHealth{} }

func (h *health) get(name string) *dynoHealth {
	if d, ok := h.Dynos[name]; ok {
		return d
	}
	if len(h.Dynos) >= MaxHealthDynos {
		name = OtherKey
		if d, ok := h.Dynos[name]; ok {
			return d
		}
	}
	d := &dynoHealth{Dyno: name}
	h.Dynos[name] = d
	return d
}

// addRequest counts r; idx is its service time's section bucket
// (hist2.recordIdx).
func (d *dynoHealth) addRequest(r *parse.Record, idx int) {
	if r.Service >= 0 {
		d.Service.recordIdx(r.Service, idx)
	} else {
		d.Service.Count++
	}
}

func (h *health) addDyno(r *parse.Record) {
	if r.Process == "" {
		return
	}
	switch {
	case r.Code == "R14":
		h.get(r.Process).R14++
	case r.Code == "R15":
		h.get(r.Process).R15++
	case r.Event == parse.EventRestart:
		h.get(r.Process).Restarts++
	case r.Event == parse.EventCrash:
		h.get(r.Process).Crash++
	case r.Event == parse.EventMemory && r.MemMB >= 0:
		h.get(r.Process).memory(r)
	}
}

func (h *health) addMetrics(r *parse.Record) {
	if r.MemMB >= 0 && r.Process != "" {
		h.get(r.Process).memory(r)
	}
}

func (d *dynoHealth) memory(r *parse.Record) {
	if math.IsInf(r.MemMB, 0) || math.IsNaN(r.MemMB) {
		return // a reading of hundreds of digits: not a reading
	}
	if r.MemMB > d.MaxMem || (r.MemMB == d.MaxMem && r.Time < d.MaxMemAt) {
		d.MaxMem, d.MaxMemAt = r.MemMB, r.Time
	}
}

func (h *health) merge(o *health) {
	names := make([]string, 0, len(o.Dynos))
	for n := range o.Dynos {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		od := o.Dynos[n]
		d := h.get(n)
		d.Service.merge(&od.Service)
		d.R14 += od.R14
		d.R15 += od.R15
		d.Restarts += od.Restarts
		d.Crash += od.Crash
		if od.MaxMem > d.MaxMem || (od.MaxMem == d.MaxMem && od.MaxMem > 0 && od.MaxMemAt < d.MaxMemAt) {
			d.MaxMem, d.MaxMemAt = od.MaxMem, od.MaxMemAt
		}
	}
}

func (h *health) report(tl *timeline) []DynoHealth {
	out := make([]DynoHealth, 0, len(h.Dynos))
	for _, d := range h.Dynos {
		dh := DynoHealth{
			Dyno: d.Dyno, Requests: d.Service.Count, P99MS: d.Service.quantile(0.99), MaxMS: d.Service.Max,
			MeanMS: round1(d.Service.mean()), R14: d.R14, R15: d.R15, MaxMemoryMB: round1(d.MaxMem),
			Restarts: d.Restarts, Crashes: d.Crash,
		}
		if d.MaxMem > 0 {
			dh.MaxMemoryAt = FormatTime(d.MaxMemAt)
		}
		if d.R14+d.R15 > 0 {
			var pn, ps, cn, cs int64
			for _, b := range tl.Buckets {
				for _, bd := range b.Dynos {
					if bd.Dyno != d.Dyno {
						continue
					}
					if bd.MemErr > 0 {
						pn, ps = pn+bd.N, ps+bd.Sum
					} else {
						cn, cs = cn+bd.N, cs+bd.Sum
					}
				}
			}
			if pn > 0 {
				dh.MemoryPressureMeanMS = round1(float64(ps) / float64(pn))
			}
			if cn > 0 {
				dh.CalmMeanMS = round1(float64(cs) / float64(cn))
			}
			if pn > 0 && cn > 0 && dh.CalmMeanMS > 0 && dh.MemoryPressureMeanMS >= MemoryTailRatio*dh.CalmMeanMS {
				dh.MemoryTail = true
				dh.Flag = "mean service " + ratio(dh.MemoryPressureMeanMS/dh.CalmMeanMS) + "× higher in the " +
					strconv.FormatInt(pn, 10) + " requests logged while it reported memory errors"
			}
		}
		out = append(out, dh)
	}
	sort.Slice(out, func(i, j int) bool { return NaturalLess(out[i].Dyno, out[j].Dyno) })
	return out
}
