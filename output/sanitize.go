package output

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sanitize makes text from a log (paths, hosts, descriptions, file names)
// safe to print on a terminal: escape sequences and other control
// characters become visible escapes (\x1b, \n, \t, ...), invalid UTF-8
// bytes become \xNN, and C1 controls and Unicode bidi overrides are escaped
// too. Plain text is returned unchanged without allocating.
func Sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			clean = false
			break
		}
		if c < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, n) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch {
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, n) {
			if r == utf8.RuneError && n == 1 {
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			} else {
				b.WriteString(`\u`)
				for sh := 12; sh >= 0; sh -= 4 {
					b.WriteByte(hex[(r>>uint(sh))&15])
				}
			}
			i += n
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

// unsafeRune reports runes that must not reach a terminal raw: invalid
// UTF-8, C1 controls (U+0080–U+009F, which some terminals treat as CSI),
// and bidirectional overrides that can disguise text.
func unsafeRune(r rune, n int) bool {
	switch {
	case r == utf8.RuneError && n == 1:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e || r == 0x200f:
		return true
	}
	return false
}

// TerminalUnsafe returns a description of the first character in s that
// Sanitize would escape, other than a newline ("byte 0x1b at 12"), or ""
// when s can be printed on a terminal as it is. Tests use it to check
// whole rendered reports, which are made of many lines.
func TerminalUnsafe(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return "byte 0x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15]) + " at " + itoa(int64(i))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, n) {
			if r == utf8.RuneError && n == 1 {
				return "invalid UTF-8 at " + itoa(int64(i))
			}
			return "rune " + strconv.QuoteRuneToASCII(r) + " at " + itoa(int64(i))
		}
		i += n
	}
	return ""
}
