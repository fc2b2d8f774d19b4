package parse

import "encoding/binary"

// Timestamps are parsed by hand: no time.Parse, no allocation. Every
// function here returns microseconds since the Unix epoch, UTC.

const (
	usPerSec = 1_000_000
	usPerMin = 60 * usPerSec
	usPerDay = 86400 * usPerSec
)

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	var era int64
	if y >= 0 {
		era = y / 400
	} else {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	var mp int64
	if m > 2 {
		mp = m - 3
	} else {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// num2 reads two ASCII digits.
func num2(b []byte) (int64, bool) {
	d0, d1 := b[0]-'0', b[1]-'0'
	if d0 > 9 || d1 > 9 {
		return 0, false
	}
	return int64(d0)*10 + int64(d1), true
}

// minuteKey is the part of an ISO timestamp that names its minute:
// "YYYY-MM-DDThh:mm" (16 bytes). The parser caches the last one seen.
type minuteCache struct {
	key    [16]byte
	k0, k1 uint64 // key as two little-endian words (load64)
	us     int64
	valid  bool
}

// parseISO parses "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm]" at the
// start of b. It returns the time in µs (UTC), the number of bytes consumed
// and whether it succeeded. A missing zone means UTC; fraction digits beyond
// six are read and ignored.
func (c *minuteCache) parseISO(b []byte) (us int64, n int, ok bool) {
	// Fast path: the layout of nearly every `heroku logs` line,
	// "2014-09-26T02:24:49.103527+00:00", in the cached minute. The minute
	// is compared as two words; ":ss.ffffff" is checked and read as the
	// eight digits "ssffffff" (s×10⁶ + µs) in one word. Anything unusual
	// takes the general path, which decides.
	if len(b) >= 32 && c.valid && binary.LittleEndian.Uint64(b[0:8]) == c.k0 && binary.LittleEndian.Uint64(b[8:16]) == c.k1 {
		w1, w2 := binary.LittleEndian.Uint64(b[16:24]), binary.LittleEndian.Uint64(b[24:32]) // ":ss.ffff", "ff+00:00"
		const zone = uint64('+') | uint64('0')<<8 | uint64('0')<<16 | uint64(':')<<24 | uint64('0')<<32 | uint64('0')<<40
		if byte(w1) == ':' && byte(w1>>24) == '.' && w2>>16 == zone {
			d := (w1>>8)&0xFFFF | (w1>>32)<<16 | (w2&0xFFFF)<<48
			if nonDigits(d) == 0 {
				if v := int64(digitsValue(d, 8)); v < 61*usPerSec {
					return c.us + v, 32, true
				}
			}
		}
	}
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return 0, 0, false
	}
	var base int64
	if c.valid && string(b[:16]) == string(c.key[:]) {
		base = c.us
	} else {
		y1, ok1 := num2(b[0:2])
		y2, ok2 := num2(b[2:4])
		mo, ok3 := num2(b[5:7])
		d, ok4 := num2(b[8:10])
		h, ok5 := num2(b[11:13])
		mi, ok6 := num2(b[14:16])
		if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 {
			return 0, 0, false
		}
		base = daysFromCivil(y1*100+y2, mo, d)*usPerDay + h*3600*usPerSec + mi*usPerMin
		copy(c.key[:], b[:16])
		c.k0, c.k1 = load64(c.key[:], 0), load64(c.key[:], 8)
		c.us, c.valid = base, true
	}
	s, ok := num2(b[17:19])
	if !ok || s > 60 {
		return 0, 0, false
	}
	us = base + s*usPerSec
	i := 19
	if i < len(b) && (b[i] == '.' || b[i] == ',') {
		i++
		var frac, scale int64 = 0, 100000
		start := i
		for i < len(b) && b[i]-'0' <= 9 {
			if scale > 0 {
				frac += int64(b[i]-'0') * scale
				scale /= 10
			}
			i++
		}
		if i == start {
			return 0, 0, false
		}
		us += frac
	}
	if i < len(b) {
		switch b[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			if i+3 > len(b) {
				break
			}
			oh, ok := num2(b[i+1 : i+3])
			if !ok {
				break
			}
			j := i + 3
			var om int64
			if j+3 <= len(b) && b[j] == ':' {
				if m, ok := num2(b[j+1 : j+3]); ok {
					om, j = m, j+3
				}
			} else if j+2 <= len(b) {
				if m, ok := num2(b[j : j+2]); ok {
					om, j = m, j+2
				}
			}
			off := (oh*60 + om) * usPerMin
			if b[i] == '+' {
				us -= off
			} else {
				us += off
			}
			i = j
		}
	}
	return us, i, true
}

var monthIndex = map[string]int64{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

// parseBSD parses a BSD syslog / Papertrail timestamp "Mon DD hh:mm:ss"
// (15 bytes, no year, no zone; the day may be space-padded) in the given
// year, as UTC.
func parseBSD(b []byte, year int64) (us int64, ok bool) {
	if len(b) < 15 || b[3] != ' ' || b[6] != ' ' || b[9] != ':' || b[12] != ':' {
		return 0, false
	}
	mo, found := monthIndex[string(b[0:3])]
	if !found {
		return 0, false
	}
	dd := b[4:6]
	var d int64
	if dd[0] == ' ' {
		if dd[1]-'0' > 9 {
			return 0, false
		}
		d = int64(dd[1] - '0')
	} else {
		var ok bool
		if d, ok = num2(dd); !ok {
			return 0, false
		}
	}
	h, ok1 := num2(b[7:9])
	mi, ok2 := num2(b[10:12])
	s, ok3 := num2(b[13:15])
	if !(ok1 && ok2 && ok3) || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	return daysFromCivil(year, mo, d)*usPerDay + h*3600*usPerSec + mi*usPerMin + s*usPerSec, true
}
