package aggregate

import "bytes"

// RouteCache maps recent request paths to their Route template and a value
// made from the template once (the routes section's state of the route;
// the export's interned template), so most requests skip Route: paths
// repeat (the same assets, "/api/orders"), and a path ending in an
// identifier ("/api/users/42", likely unique) is looked up by the part
// before that segment. Direct-mapped, a few hundred entries; not safe for
// concurrent use. The zero value is an empty cache.
type RouteCache[V any] struct {
	paths [routeCacheSize]RouteEntry[V]
	ids   [routeIDCacheSize]RouteEntry[V]
}

// routeCacheSize is the number of entries of the path cache.
const routeCacheSize = 256

// routeIDCacheSize is the number of entries of the cache of paths before
// an identifier.
const routeIDCacheSize = 64

// RouteEntry is one path's template (Tmpl, Route's result) and the value
// made from it (Val). The caller must not change Tmpl; it may update Val
// (export keeps a per-chunk dictionary slot there).
type RouteEntry[V any] struct {
	path, Tmpl []byte
	Val        V
	ok         bool
}

// Get returns the entry of path, computing its template and value on a
// miss: value(template) is called once per entry filled, and gives the
// entry's Val (which the caller may update afterwards). The entry is valid
// until the next Get.
func (c *RouteCache[V]) Get(path []byte, value func(tmpl []byte) V) *RouteEntry[V] {
	n := len(path)
	var h uint32
	if n > 0 {
		h = uint32(n)*31 + uint32(path[n-1])
		h = h*31 + uint32(path[n/2])
		h = h*31 + uint32(path[n/3])
		h = h*31 + uint32(path[n-1-n/3])
	}
	e := &c.paths[(h*2654435761)>>24]
	if e.ok && string(e.path) == string(path) {
		return e
	}
	// A path whose last segment is an identifier is likely unique: it is
	// looked up by the part before that segment in a second cache, and
	// not cached itself, so it does not evict the entries of common
	// paths. Route(prefix + id) is Route(prefix) + ":id".
	p := path
	if i := bytes.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if i := bytes.IndexByte(p, '#'); i >= 0 {
		p = p[:i]
	}
	if j := lastSlash(p); j >= 0 && isID(p[j+1:]) {
		prefix := p[:j+1]
		n := len(prefix)
		h := uint32(n)*31 + uint32(prefix[n/2])
		h = h*31 + uint32(prefix[n-1-n/3])
		ie := &c.ids[(h*2654435761)>>(32-6)]
		if !ie.ok || string(ie.path) != string(prefix) {
			ie.path = append(ie.path[:0], prefix...)
			ie.Tmpl = append(Route(ie.Tmpl[:0], prefix), ":id"...)
			ie.Val, ie.ok = value(ie.Tmpl), true
		}
		return ie
	}
	e.path = append(e.path[:0], path...)
	e.Tmpl = Route(e.Tmpl[:0], path)
	e.Val, e.ok = value(e.Tmpl), true
	return e
}

// empty forgets every entry (their values too), keeping the entries' byte
// buffers up to keep bytes for the next paths and templates.
func (c *RouteCache[V]) empty(keep int) {
	for i := range c.paths {
		c.paths[i].empty(keep)
	}
	for i := range c.ids {
		c.ids[i].empty(keep)
	}
}

func (e *RouteEntry[V]) empty(keep int) {
	var zero V
	e.path, e.Tmpl, e.Val, e.ok = e.path[:0], e.Tmpl[:0], zero, false
	if cap(e.path) > keep {
		e.path = nil
	}
	if cap(e.Tmpl) > keep {
		e.Tmpl = nil
	}
}
