package aggregate

// SpectrumPercentiles are the percentiles (0–100) of a percentile spectrum,
// the HdrHistogram-style plot of latency against "nines": 0 is the exact
// minimum and 100 the exact maximum; the others come from the histogram.
var SpectrumPercentiles = []float64{0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100}

// SpectrumPoint is one point of a percentile spectrum: the service time
// (ms) at or below which Percentile percent of the requests completed.
type SpectrumPoint struct {
	Percentile float64 `json:"percentile"`
	MS         int64   `json:"ms"`
}

// Spectrum returns the distribution's percentile spectrum at
// SpectrumPercentiles: nil when empty. Values never decrease along the
// spectrum and never exceed the exact maximum; the first point is the
// exact minimum and the last the exact maximum.
func (d *Dist) Spectrum() []SpectrumPoint {
	if d.Count == 0 || d.hist() == nil {
		return nil
	}
	inner := SpectrumPercentiles[1 : len(SpectrumPercentiles)-1]
	vals := d.h.ValueAtPercentilesSlice(inner)
	out := make([]SpectrumPoint, 0, len(SpectrumPercentiles))
	out = append(out, SpectrumPoint{Percentile: 0, MS: d.Min})
	prev := d.Min
	for i, p := range inner {
		v := vals[i]
		if v > d.Max {
			v = d.Max
		}
		if v < prev {
			v = prev
		}
		prev = v
		out = append(out, SpectrumPoint{Percentile: p, MS: v})
	}
	return append(out, SpectrumPoint{Percentile: 100, MS: d.Max})
}

// fillSpectra sets the service-time spectrum of the total and of every
// group of rep (Options.Spectrum).
func (a *Aggregator) fillSpectra(rep *Report) {
	rep.Total.Spectrum = a.total.service.Spectrum()
	for i := range rep.Groups {
		g := &rep.Groups[i]
		src := a.groups[g.Key]
		if a.other != nil && i == len(rep.Groups)-1 { // Report appends other last
			src = a.other
		}
		if src != nil {
			g.Spectrum = src.service.Spectrum()
		}
	}
}

// WithoutSpectra returns a shallow copy of r with every Spectrum removed,
// for renderers that keep the lean default shape. r is not modified.
func (r *Report) WithoutSpectra() *Report {
	c := *r
	c.Total.Spectrum = nil
	c.Groups = make([]Group, len(r.Groups))
	copy(c.Groups, r.Groups)
	for i := range c.Groups {
		c.Groups[i].Spectrum = nil
	}
	return &c
}
