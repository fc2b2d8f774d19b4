package parse

// interner returns one shared string for each distinct byte sequence, so
// repeated values (dyno, code, method, process) cost no allocation after
// their first sighting. It holds at most max entries: past that, new values
// are still returned correctly but allocate each time, so a hostile input
// with millions of distinct dyno names cannot grow memory without bound.
// Values longer than maxIntern bytes are never kept (a megabyte-long
// "dyno" would otherwise pin a megabyte per entry).
type interner struct {
	m   map[string]string
	max int
	// recent is a direct-mapped cache in front of m, indexed by a cheap
	// hash of the bytes: the few values a log repeats (GET, web.3, https,
	// router, heroku) are found with one compare instead of a map lookup
	// that hashes the whole key.
	recent [256]string
}

// maxIntern is the longest value an interner keeps, in bytes.
const maxIntern = 64

func newInterner(max int) interner {
	return interner{m: make(map[string]string, 64), max: max}
}

// get returns the interned string equal to b.
func (in *interner) get(b []byte) string {
	var h uint
	if n := len(b); n > 0 {
		h = (uint(n)*31 + uint(b[0])*7 + uint(b[n-1])*3 + uint(b[n/2])) & 255
	}
	if s := in.recent[h]; s == string(b) && (len(s) > 0 || len(b) == 0) {
		return s
	}
	s := in.lookup(b)
	in.recent[h] = s
	return s
}

func (in *interner) lookup(b []byte) string {
	if s, ok := in.m[string(b)]; ok { // no allocation: the compiler special-cases this lookup
		return s
	}
	s := string(b)
	if len(in.m) < in.max && len(b) <= maxIntern {
		in.m[s] = s
	}
	return s
}
