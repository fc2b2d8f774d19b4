package output

import (
	"reflect"
	"unicode/utf8"

	"github.com/herolog/herolog/aggregate"
)

// FixUTF8 rewrites in place every string reachable from v (a pointer to a
// report, a snapshot, a plan) that is not valid UTF-8, writing each bad
// byte as the four characters \xNN. Map keys are rewritten too. JSON can
// only hold valid UTF-8: encoding/json would replace such bytes with
// U+FFFD, losing them and making distinct paths or hosts look alike. The
// JSON renderers call it before encoding; the text renderers show the same
// \xNN through Sanitize.
func FixUTF8(v any) {
	walkStrings(reflect.ValueOf(v), func(s string) (string, bool) {
		if utf8.ValidString(s) {
			return s, false
		}
		return aggregate.ValidUTF8(s), true
	})
}

// SanitizeAll applies Sanitize, in place, to every string reachable from v
// (map keys included), for renderers whose own escaping leaves control
// characters and bidi overrides in place (HTML).
func SanitizeAll(v any) {
	walkStrings(reflect.ValueOf(v), func(s string) (string, bool) {
		out := Sanitize(s)
		return out, out != s
	})
}

// walkStrings returns v with its strings rewritten by fix and whether
// anything changed. Values that can be set are fixed in place; others (a
// struct held in a map or an interface) come back as a fixed copy.
func walkStrings(v reflect.Value, fix func(string) (string, bool)) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.String:
		s, changed := fix(v.String())
		if !changed {
			return v, false
		}
		return reflect.ValueOf(s).Convert(v.Type()), true
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		e := v.Elem()
		if nv, changed := walkStrings(e, fix); changed && e.CanSet() {
			e.Set(nv)
		}
		return v, false
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		if nv, changed := walkStrings(v.Elem(), fix); changed {
			return nv, true
		}
		return v, false
	case reflect.Struct, reflect.Array:
		if !v.CanSet() {
			c := reflect.New(v.Type()).Elem()
			c.Set(v)
			if _, changed := fixFields(c, fix); changed {
				return c, true
			}
			return v, false
		}
		fixFields(v, fix) // in place
		return v, false
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			if nv, changed := walkStrings(e, fix); changed && e.CanSet() {
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
			nk, kc := walkStrings(k, fix)
			nval, vc := walkStrings(val, fix)
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
func fixFields(v reflect.Value, fix func(string) (string, bool)) (reflect.Value, bool) {
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
		if nv, changed := walkStrings(f, fix); changed && f.CanSet() {
			f.Set(nv)
			changedAny = true
		}
	}
	return v, changedAny
}
