package aggregate

import (
	"bytes"
	"container/heap"
	"sort"

	"github.com/herolog/herolog/parse"
)

// SlowestRequest is one of the slowest requests of a run (Report.Slowest), with what a user
// needs to find it in their APM. Path, Host and RequestID are as logged
// (renderers sanitise them).
type SlowestRequest struct {
	Time      string `json:"time"` // the router line's timestamp (completion), RFC 3339 UTC
	Dyno      string `json:"dyno"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Host      string `json:"host"`
	ServiceMS int64  `json:"service_ms"`
	ConnectMS int64  `json:"connect_ms"` // -1 when not logged
	Status    int64  `json:"status"`     // -1 when not logged
	Code      string `json:"code"`       // Heroku error code, "" when none
	RequestID string `json:"request_id"`
}

// slowReq is a kept slow request; its byte fields are owned copies whose
// storage is reused when the entry is replaced.
type slowReq struct {
	Time                     int64
	Service, Connect, Status int64
	Dyno, Method, Code       string
	Path, Host, RequestID    []byte
}

// slowerThan is the total order of kept requests: larger service first,
// then earlier time, then request id, dyno and path, so the kept set does
// not depend on the order records or shards arrive in.
func slowerThan(a, b *slowReq) bool {
	if a.Service != b.Service {
		return a.Service > b.Service
	}
	if a.Time != b.Time {
		return a.Time < b.Time
	}
	if c := bytes.Compare(a.RequestID, b.RequestID); c != 0 {
		return c < 0
	}
	if a.Dyno != b.Dyno {
		return a.Dyno < b.Dyno
	}
	return bytes.Compare(a.Path, b.Path) < 0
}

// slowest keeps the n slowest requests in a min-heap (the least slow at
// the root).
type slowest struct {
	n    int
	Heap []*slowReq
}

func (s *slowest) Len() int           { return len(s.Heap) }
func (s *slowest) Less(i, j int) bool { return slowerThan(s.Heap[j], s.Heap[i]) }
func (s *slowest) Swap(i, j int)      { s.Heap[i], s.Heap[j] = s.Heap[j], s.Heap[i] }
func (s *slowest) Push(x any)         { s.Heap = append(s.Heap, x.(*slowReq)) }
func (s *slowest) Pop() any {
	x := s.Heap[len(s.Heap)-1]
	s.Heap = s.Heap[:len(s.Heap)-1]
	return x
}

func (s *slowest) limit() int {
	if s.n <= 0 {
		return DefaultTop
	}
	return s.n
}

func (s *slowest) add(r *parse.Record) {
	if r.Service < 0 {
		return
	}
	if len(s.Heap) >= s.limit() {
		root := s.Heap[0]
		if r.Service < root.Service {
			return // the common case: not among the slowest, nothing to copy
		}
		cand := slowReq{Time: r.Time, Service: r.Service, Dyno: r.Dyno, RequestID: r.RequestID, Path: r.Path}
		if !slowerThan(&cand, root) {
			return
		}
		fill(root, r)
		heap.Fix(s, 0)
		return
	}
	e := &slowReq{}
	fill(e, r)
	heap.Push(s, e)
}

func fill(e *slowReq, r *parse.Record) {
	e.Time, e.Service, e.Connect, e.Status = r.Time, r.Service, r.Connect, r.Status
	e.Dyno, e.Method, e.Code = r.Dyno, r.Method, r.Code
	e.Path = append(e.Path[:0], r.Path...)
	e.Host = append(e.Host[:0], r.Host...)
	e.RequestID = append(e.RequestID[:0], r.RequestID...)
}

// offer adds a deep copy of e (it may belong to another aggregator) when
// it is among the slowest.
func (s *slowest) offer(e *slowReq) {
	if len(s.Heap) >= s.limit() && !slowerThan(e, s.Heap[0]) {
		return
	}
	c := *e
	c.Path, c.Host, c.RequestID = bytes.Clone(e.Path), bytes.Clone(e.Host), bytes.Clone(e.RequestID)
	if len(s.Heap) >= s.limit() {
		s.Heap[0] = &c
		heap.Fix(s, 0)
		return
	}
	heap.Push(s, &c)
}

func (s *slowest) merge(o *slowest) {
	for _, e := range o.Heap {
		s.offer(e)
	}
}

func (s *slowest) report() []SlowestRequest {
	es := append([]*slowReq(nil), s.Heap...)
	sort.Slice(es, func(i, j int) bool { return slowerThan(es[i], es[j]) })
	out := make([]SlowestRequest, 0, len(es))
	for _, e := range es {
		out = append(out, SlowestRequest{
			Time: FormatTime(e.Time), Dyno: e.Dyno, Method: e.Method, Path: string(e.Path), Host: string(e.Host),
			ServiceMS: e.Service, ConnectMS: e.Connect, Status: e.Status, Code: e.Code, RequestID: string(e.RequestID),
		})
	}
	return out
}
