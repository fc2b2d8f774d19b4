package output

import (
	"reflect"
	"unicode/utf8"
)

// FixUTF8 rewrites in place every string reachable from v (a pointer to a
// report, a snapshot, a plan) that is not valid UTF-8, writing each bad
// byte as the four characters \xNN. Map keys are rewritten too. JSON can
// only hold valid UTF-8: encoding/json would replace such bytes with
// U+FFFD, losing them and making distinct paths or hosts look alike. The
// JSON renderers call it before encoding; the text renderers show the same
// \xNN through Sanitize.
func FixUTF8(v any) {
	fixUTF8(reflect.ValueOf(v))
}

// fixUTF8 returns v with its strings fixed and whether anything changed.
// Values that can be set are fixed in place; others (a struct held in a
// map or an interface) come back as a fixed copy.
func fixUTF8(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if utf8.ValidString(s) {
			return v, false
		}
		return reflect.ValueOf(escapeInvalid(s)).Convert(v.Type()), true
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		e := v.Elem()
		if nv, changed := fixUTF8(e); changed && e.CanSet() {
			e.Set(nv)
		}
		return v, false
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		if nv, changed := fixUTF8(v.Elem()); changed {
			return nv, true
		}
		return v, false
	case reflect.Struct, reflect.Array:
		if !v.CanSet() {
			c := reflect.New(v.Type()).Elem()
			c.Set(v)
			if _, changed := fixFields(c); changed {
				return c, true
			}
			return v, false
		}
		fixFields(v) // in place
		return v, false
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			if nv, changed := fixUTF8(e); changed && e.CanSet() {
				e.Set(nv)
			}
		}
		return v, false
	case reflect.Map:
		if v.IsNil() {
			return v, false
		}
		iter := v.MapRange()
		type kv struct{ oldK, k, val reflect.Value }
		var updates []kv
		for iter.Next() {
			k, val := iter.Key(), iter.Value()
			nk, kc := fixUTF8(k)
			nval, vc := fixUTF8(val)
			if kc || vc {
				updates = append(updates, kv{k, nk, nval})
			}
		}
		for _, u := range updates {
			v.SetMapIndex(u.oldK, reflect.Value{})
			v.SetMapIndex(u.k, u.val)
		}
		return v, false
	}
	return v, false
}

// fixFields fixes the exported fields (or elements) of a settable struct
// or array in place and reports whether any changed.
func fixFields(v reflect.Value) (reflect.Value, bool) {
	changedAny := false
	n := v.Len
	field := v.Index
	if v.Kind() == reflect.Struct {
		n, field = v.NumField, v.Field
	}
	for i := 0; i < n(); i++ {
		if v.Kind() == reflect.Struct && !v.Type().Field(i).IsExported() {
			continue
		}
		f := field(i)
		if nv, changed := fixUTF8(f); changed && f.CanSet() {
			f.Set(nv)
			changedAny = true
		}
	}
	return v, changedAny
}

// escapeInvalid writes each byte of s that is not part of valid UTF-8 as
// \xNN.
func escapeInvalid(s string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, '\\', 'x', hex[s[i]>>4], hex[s[i]&15])
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}
