package aggregate

import "strconv"

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// ratio formats a ratio with no decimals from 10 up, one below.
func ratio(r float64) string {
	if r >= 10 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}
