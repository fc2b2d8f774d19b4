package aggregate

import "testing"

// TestRouteCacheMatchesRoute: the path caches of the routes section give
// Route's template, and the route state of that template, for every
// one-byte mutation of paths of each kind, each seen twice (a miss, then
// a hit) in an order that makes entries collide and be replaced.
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
	var ts tailState
	ts.init(Options{}.withDefaults())
	for round := 0; round < 2; round++ {
		for _, p := range all {
			e := ts.route([]byte(p))
			want := string(Route(nil, []byte(p)))
			if string(e.tmpl) != want {
				t.Fatalf("route(%q) template %q, want %q", p, e.tmpl, want)
			}
			if want := ts.routes.lookup([]byte(want)); e.stat != want {
				t.Fatalf("route(%q): state of %q, want that of %q", p, e.stat.Key, want.Key)
			}
		}
	}
}
