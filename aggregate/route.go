package aggregate

// Route appends to dst the templated route of a request path: the query
// string is dropped and every segment that is an identifier becomes ":id".
// A segment is an identifier when it is all digits, a UUID, a hex string of
// at least 8 characters with at least one digit, or a long token (20 or more
// characters mixing letters and digits). "/api/users/42?x=1" becomes
// "/api/users/:id". An empty path gives "/".
func Route(dst, path []byte) []byte {
	for i, c := range path {
		if c == '?' || c == '#' {
			path = path[:i]
			break
		}
	}
	if len(path) == 0 {
		return append(dst, '/')
	}
	start := 0
	for start <= len(path) {
		end := start
		for end < len(path) && path[end] != '/' {
			end++
		}
		seg := path[start:end]
		if start > 0 {
			dst = append(dst, '/')
		}
		if isID(seg) {
			dst = append(dst, ":id"...)
		} else {
			dst = append(dst, seg...)
		}
		start = end + 1
	}
	return dst
}

// isID reports whether a path segment is an identifier.
func isID(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	digits, hex, alnum := 0, 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
			hex++
			alnum++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			hex++
			alnum++
		case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z':
			alnum++
		case c == '-' || c == '_':
		default:
			return false
		}
	}
	n := len(s)
	switch {
	case digits == n:
		return true
	case n == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && hex == 32:
		return true // UUID
	case hex == n && n >= 8 && digits > 0:
		return true
	case n >= 20 && digits > 0 && alnum >= n-4:
		return true
	}
	return false
}
