package aggregate

import (
	"strings"
	"testing"

	"github.com/herolog/herolog/parse"
)

// TestRouteCacheMatchesRoute: the path caches of the routes section give
// Route's template, and the route state of that template, for every
// one-byte mutation of paths of each kind, each seen twice (a miss, then
// a hit) in an order that makes entries collide and be replaced, in a
// new cache and in one reused from the pool.
func TestRouteCacheMatchesRoute(t *testing.T) {
	paths := []string{
		"/api/users/42?x=1", "/api/orders/7aaa855c-a3f2-4aa5-953d-9710b801c4d6", "/a/deadbeef1/b#frag?q",
		"/assets/app-3f2a9c8e7d6b5a4f3e2d1c0b9a8f7e6d.js", "/tok/abcdefghij0123456789xyz/", "//x//", "", "?only",
		"/DEADBEEF/Zz_-9", "/123", "123", "/", "/x/", "/x/1/", "/x/1#2", "/x?1/2",
	}
	subs := []byte{'/', '?', '#', '0', 'a', 'F', 'g', '-', '.'}
	var all []string
	for _, p := range paths {
		all = append(all, p)
		for i := 0; i < len(p); i++ {
			for _, c := range subs {
				all = append(all, p[:i]+string(c)+p[i+1:])
			}
			all = append(all, p[:i]+p[i+1:])
		}
	}
	// The second tail state reuses the first's cache as the pool gives it
	// back (putRouteCache), entries pointing nowhere but buffers kept.
	var cache *RouteCache[*routeStat]
	for reuse := 0; reuse < 2; reuse++ {
		var ts tailState
		ts.init(Options{}.withDefaults())
		if cache != nil {
			putRouteCache(cache)
			ts.routeCache = cache
		}
		for round := 0; round < 2; round++ {
			for _, p := range all {
				e := ts.route([]byte(p))
				want := string(Route(nil, []byte(p)))
				if string(e.Tmpl) != want {
					t.Fatalf("route(%q) template %q, want %q", p, e.Tmpl, want)
				}
				if want := ts.routes.lookup([]byte(want)); e.Val != want {
					t.Fatalf("route(%q): state of %q, want that of %q", p, e.Val.Key, want.Key)
				}
			}
		}
		cache = ts.routeCache
	}
}

// TestDynoCacheLongKey: a dyno name longer than MaxKeyLen is cut in its
// by-dyno group as lookup cuts it, through the dyno cache too, and two
// names that differ past the cut share the group.
func TestDynoCacheLongKey(t *testing.T) {
	long := "web." + strings.Repeat("9", 2*MaxKeyLen)
	a := New(Options{})
	for i, d := range []string{long, long + "1", long, "web.1"} {
		a.Add(&parse.Record{Kind: parse.KindRouter, Dyno: d, Service: int64(i), Connect: 1, Status: 200, Wait: -1, Queue: -1})
	}
	rep := a.Report()
	if len(rep.Groups) != 2 {
		t.Fatalf("%d groups, want 2", len(rep.Groups))
	}
	for _, g := range rep.Groups {
		if g.Key != "web.1" && (g.Key != long[:MaxKeyLen]+"…" || g.Requests != 3) {
			t.Fatalf("group %q with %d requests", g.Key, g.Requests)
		}
	}
}
