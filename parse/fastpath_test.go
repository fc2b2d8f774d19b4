package parse

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The fast paths (known keys matched in place, fused numbers, the fixed
// timestamp layout, the interner's cache) must give exactly what the plain
// code gives. These tests compare them with reference implementations over
// every one-byte mutation of real lines.

// mutations returns line with each byte in turn replaced by each of subs,
// deleted, or doubled, plus line itself.
func mutations(line string) []string {
	subs := []byte{' ', '"', '=', '0', '9', 'm', 's', '-', '+', '.', ':', 'x', 'Z', '\t'}
	out := []string{line}
	for i := 0; i < len(line); i++ {
		for _, c := range subs {
			out = append(out, line[:i]+string(c)+line[i+1:])
		}
		out = append(out, line[:i]+line[i+1:], line[:i+1]+line[i:])
	}
	return out
}

var fastPathLines = []string{
	`at=info method=GET path="/api/orders/7aaa855c" host=myapp.herokuapp.com request_id=6075f812-681c-48ec-b2bd-d63735777377 fwd="87.59.56.32" dyno=web.4 connect=2ms service=25ms status=200 bytes=2778 protocol=https`,
	`sock=client at=warning code=H27 desc="Client Request Interrupted" method=POST path=/x host=a.b dyno= connect=0 service=15ms status=499 bytes= protocol=http`,
	`at=error code=H12 desc="Request timeout" method=GET path="/" host=h request_id=r fwd="1.2.3.4" dyno=web.1 connect=1ms service=30000ms status=503 bytes=0 tls_version=tls1.3`,
	`GET h/p dyno=web.1 queue=3 wait=12ms service=99999999999999999999ms status=200 bytes=5"`,
	`sock=backend at=error code=H18 desc="Request Interrupted" method=POST path="/hubot/ping" host=wafflebot.herokuapp.com request_id=52128fb1-112b-4c4b-aca6-2c3a19f9da67 fwd="54.167.255.103" dyno=web.1 connect=0ms service=1ms status=503 bytes=143`,
	`at=error code=H26 desc="Request Error" cause="bad header" method=GET path="/" host=h fwd="1.1.1.1,2.2.2.2" dyno= connect= service= status=400 bytes= protocol=https tls_version=tls1.2 sock=client`,
}

// TestScanKVMatchesReference: routerKV (the one-pass fast path, else
// scanKV) and scanKV itself fill a Record exactly as the straightforward
// scanner does.
func TestScanKVMatchesReference(t *testing.T) {
	p, ref := NewParser(), NewParser()
	n, fastHits := 0, 0
	for _, line := range fastPathLines {
		for _, m := range mutations(line) {
			compareScanners(t, p, ref, []byte(m))
			if p.fastRouter([]byte(m), &Record{}) {
				fastHits++
			}
			n++
		}
	}
	if n < 1000 || fastHits < n/4 {
		t.Fatalf("%d lines compared, %d through the fast path", n, fastHits)
	}
}

// TestParseISOFastPath: a timestamp parsed with the minute already cached
// (the fast path) gives what a cold cache (the general path) gives.
func TestParseISOFastPath(t *testing.T) {
	base := "2014-09-26T02:24:49.103527+00:00 heroku[router]: x"
	for _, m := range mutations(base) {
		var warm minuteCache
		warm.parseISO([]byte(base)) // caches 2014-09-26T02:24
		gus, gn, gok := warm.parseISO([]byte(m))
		var cold minuteCache
		wus, wn, wok := cold.parseISO([]byte(m))
		if gus != wus || gn != wn || gok != wok {
			t.Fatalf("parseISO(%q) warm = %d,%d,%v, cold = %d,%d,%v", m, gus, gn, gok, wus, wn, wok)
		}
	}
}

// TestInternerCache: the interner's cache never returns a string that
// differs from its bytes, whatever collides in it.
func TestInternerCache(t *testing.T) {
	in := newInterner(4)
	vals := []string{"", "a", "GET", "POST", "web.1", "web.10", "web.01", "1.bew", "https", "http", "router", "heroku", "app", "H12", "H21"}
	for round := 0; round < 3; round++ {
		for _, v := range vals {
			if got := in.get([]byte(v)); got != v {
				t.Fatalf("get(%q) = %q", v, got)
			}
		}
	}
	if len(in.m) > 4 {
		t.Fatalf("interner holds %d entries, cap 4", len(in.m))
	}
}

// referenceScanKV is scanKV as first written: scan the key byte by byte,
// compare it as a string, parse numbers with Record.number.
func (p *Parser) referenceScanKV(b []byte, r *Record) {
	i := 0
	n := len(b)
	for i < n {
		for i < n && b[i] == ' ' {
			i++
		}
		ks := i
		for i < n && b[i] != '=' && b[i] != ' ' {
			i++
		}
		if i >= n || b[i] != '=' {
			continue // a bare word
		}
		key := b[ks:i]
		i++ // '='
		var val []byte
		if i < n && b[i] == '"' {
			i++
			vs := i
			if q := bytes.IndexByte(b[i:], '"'); q >= 0 {
				val = b[vs : vs+q]
				i = vs + q + 1
			} else {
				val = b[vs:]
				i = n
			}
		} else {
			vs := i
			for i < n && b[i] != ' ' {
				i++
			}
			val = b[vs:i]
			// A stray closing quote on a bare value: host=myapp.herokuapp.com"
			if len(val) > 0 && val[len(val)-1] == '"' {
				val = val[:len(val)-1]
			}
		}
		p.referenceSetKey(key, val, r)
	}
}

// setKey stores one router key=value in r.
func (p *Parser) referenceSetKey(key, val []byte, r *Record) {
	switch string(key) {
	case "at":
		switch string(val) {
		case "info":
			r.At = AtInfo
		case "warning":
			r.At = AtWarning
		case "error":
			r.At = AtError
		default:
			r.At = AtOther
		}
	case "code":
		if len(val) > 0 {
			r.Code = p.strs.get(val)
		}
	case "desc":
		r.Desc = val
	case "cause":
		r.Cause = val
	case "method":
		if len(val) > 0 {
			r.Method = p.strs.get(val)
		}
	case "path":
		r.Path = val
	case "host":
		r.Host = val
	case "request_id":
		r.RequestID = val
	case "fwd":
		r.Fwd = val
	case "dyno":
		if len(val) > 0 {
			r.Dyno = p.strs.get(val)
		}
	case "connect":
		r.Connect = r.number(val, "connect", true)
	case "service":
		r.Service = r.number(val, "service", true)
	case "status":
		r.Status = r.number(val, "status", false)
	case "bytes":
		r.Bytes = r.number(val, "bytes", false)
	case "protocol":
		if len(val) > 0 {
			r.Protocol = p.strs.get(val)
		}
	case "tls_version":
		r.TLSVersion = val
	case "sock":
		switch string(val) {
		case "client":
			r.Sock = SockClient
		case "backend":
			r.Sock = SockBackend
		default:
			r.Sock = SockOther
		}
	case "queue":
		r.Legacy = true
		r.Queue = r.number(val, "queue", false)
	case "wait":
		r.Legacy = true
		r.Wait = r.number(val, "wait", true)
	}
}

// TestParseCLIRouterShortcut: a `heroku logs` router line parsed by Parse
// (which sends "at=" messages straight to routerKV) gives what classify
// gives for the same envelope, over every one-byte mutation of router
// messages.
func TestParseCLIRouterShortcut(t *testing.T) {
	p, ref := NewParser(), NewParser()
	msgs := append([]string{
		`at=info method=GET path="/" host=h dyno=web.1 connect=1ms service=2ms status=200 bytes=3 sample#x=1`,
		`at=info path="/" host=h dyno=web.1 connect=1ms service=2ms status=200 bytes=3`,
		`at=`, `at`, `Error H10 (App crashed) -> GET h/p dyno=web.1`,
	}, fastPathLines...)
	n := 0
	for _, msg := range msgs {
		for _, m := range mutations(msg) {
			const env = "2026-11-20T14:00:00.101272+00:00 heroku[router]: "
			line := env + m
			var got, want Record
			p.Parse([]byte(line), &got)
			want.reset()
			want.Format, want.Time, want.HasTime = FormatCLI, got.Time, true
			want.Source, want.Process, want.Message = "heroku", "router", []byte(m)
			ref.classify(&want)
			if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
				t.Fatalf("Parse(%q):\n got %s\nwant %s", line, g, w)
			}
			n++
		}
	}
	if n < 1000 {
		t.Fatalf("only %d lines compared", n)
	}
}

// FuzzRouterKV is TestScanKVMatchesReference for any message: the one-pass
// router fast path (routerKV), the general scanner (scanKV) and the
// straightforward reference scanner fill a Record identically. Seeded with
// the fast-path lines and the router messages of testdata/corpus.
func FuzzRouterKV(f *testing.F) {
	for _, line := range fastPathLines {
		f.Add([]byte(line))
	}
	seedFuzzRouterMessages(f)
	p, ref := NewParser(), NewParser()
	f.Fuzz(func(t *testing.T, m []byte) {
		compareScanners(t, p, ref, m)
	})
}

// compareScanners fails t unless routerKV (the one-pass fast path, else
// scanKV) and scanKV fill a Record from message m exactly as the
// straightforward reference scanner does.
func compareScanners(t *testing.T, p, ref *Parser, m []byte) {
	t.Helper()
	var got, fast, want Record
	got.reset()
	fast.reset()
	want.reset()
	p.scanKV(m, &got)
	p.routerKV(m, &fast)
	ref.referenceScanKV(m, &want)
	w := fmt.Sprintf("%+v", want)
	if g := fmt.Sprintf("%+v", got); g != w {
		t.Fatalf("scanKV(%q):\n got %s\nwant %s", m, g, w)
	}
	if g := fmt.Sprintf("%+v", fast); g != w {
		t.Fatalf("routerKV(%q):\n got %s\nwant %s", m, g, w)
	}
}

// seedFuzzRouterMessages adds the message part (after "heroku[router]: ")
// of every router line under testdata/corpus.
func seedFuzzRouterMessages(f *testing.F) {
	files, _ := filepath.Glob("../testdata/corpus/*")
	marker := []byte("router")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			i := bytes.Index(line, marker)
			if i < 0 {
				continue
			}
			if j := bytes.Index(line[i:], []byte(": ")); j >= 0 {
				f.Add(line[i+j+2:])
			}
		}
	}
}
