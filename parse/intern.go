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
}

// maxIntern is the longest value an interner keeps, in bytes.
const maxIntern = 64

func newInterner(max int) interner {
	return interner{m: make(map[string]string, 64), max: max}
}

// get returns the interned string equal to b.
func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok { // no allocation: the compiler special-cases this lookup
		return s
	}
	s := string(b)
	if len(in.m) < in.max && len(b) <= maxIntern {
		in.m[s] = s
	}
	return s
}
