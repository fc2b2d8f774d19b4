package parse

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func us(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMicro()
}

// want lists the fields a test checks; zero values are checked too, except
// where noted.
type want struct {
	kind    Kind
	format  Format
	time    string // RFC 3339; "" means no timestamp
	source  string
	process string
	method  string
	path    string
	host    string
	dyno    string
	code    string
	connect int64
	service int64
	status  int64
	bytes   int64
	wait    int64
	queue   int64
	legacy  bool
	at      At
	sock    Sock
	event   Event
	dropped int64
}

// Lines from testdata/corpus (real logs; see testdata/corpus/SOURCES.md),
// except where marked constructed.
var parseCases = []struct {
	name string
	line string
	want want
}{
	{"cli router 6 digits", `2016-05-27T13:35:16.153374+00:00 heroku[router]: at=info method=POST path="/api/import/closeio/" host=backend.thermondo.de request_id=2388ebb8-fe62-4834-aa01-d1aca2f210ff fwd="54.203.52.130" dyno=web.13 connect=0ms service=158ms status=200 bytes=488`,
		want{kind: KindRouter, format: FormatCLI, time: "2016-05-27T13:35:16.153374Z", source: "heroku", process: "router", method: "POST", path: "/api/import/closeio/", host: "backend.thermondo.de", dyno: "web.13", connect: 0, service: 158, status: 200, bytes: 488, wait: -1, queue: -1, at: AtInfo}},
	{"cli H12 -07:00 no fraction", `2010-10-06T21:51:37-07:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET path="/" host=myapp.herokuapp.com fwd=17.17.17.17 dyno=web.1 connect=6ms service=30001ms status=503 bytes=0`,
		want{kind: KindRouter, format: FormatCLI, time: "2010-10-07T04:51:37Z", source: "heroku", process: "router", method: "GET", path: "/", host: "myapp.herokuapp.com", dyno: "web.1", code: "H12", connect: 6, service: 30001, status: 503, bytes: 0, wait: -1, queue: -1, at: AtError}},
	{"H10 empty values are missing", `2010-10-06T21:51:12-07:00 heroku[router]: at=error code=H10 desc="App crashed" method=GET path="/" host=myapp.herokuapp.com fwd=17.17.17.17 dyno= connect= service= status=503 bytes=`,
		want{kind: KindRouter, format: FormatCLI, time: "2010-10-07T04:51:12Z", source: "heroku", process: "router", method: "GET", path: "/", host: "myapp.herokuapp.com", code: "H10", connect: -1, service: -1, status: 503, bytes: -1, wait: -1, queue: -1, at: AtError}},
	{"H25 no ms unit", `2010-10-06T21:51:07-07:00 heroku[router]: at=error code=H25 desc="HTTP restriction: oversized cookie" method=GET path="/" host=myapp.herokuapp.com fwd=17.17.17.17 dyno=web.1 connect=0 service=2 status=502 bytes=`,
		want{kind: KindRouter, format: FormatCLI, time: "2010-10-07T04:51:07Z", source: "heroku", process: "router", method: "GET", path: "/", host: "myapp.herokuapp.com", dyno: "web.1", code: "H25", connect: 0, service: 2, status: 502, bytes: -1, wait: -1, queue: -1, at: AtError}},
	{"H27 sock first, empty bytes", `2018-01-23T10:25:39.413657+00:00 heroku[router]: sock=client at=warning code=H27 desc="Client Request Interrupted" method=GET path="/sockjs/info?cb=5wdn0pqji8" host=mapgl.herokuapp.com request_id=077be8a3-b5b7-493b-91cc-1fff2cb19548 fwd="194.54.160.9" dyno=web.1 connect=0ms service=15ms status=499 bytes= protocol=http`,
		want{kind: KindRouter, format: FormatCLI, time: "2018-01-23T10:25:39.413657Z", source: "heroku", process: "router", method: "GET", path: "/sockjs/info?cb=5wdn0pqji8", host: "mapgl.herokuapp.com", dyno: "web.1", code: "H27", connect: 0, service: 15, status: 499, bytes: -1, wait: -1, queue: -1, at: AtWarning, sock: SockClient}},
	{"5 fraction digits", `2022-01-26T20:25:08.61556+00:00 heroku[router]: at=info method=GET path="/" host=x.herokuapp.com request_id=a fwd="1.1.1.1,1.1.1.2" dyno=web.1 connect=0ms service=3ms status=200 bytes=5 protocol=https`,
		want{kind: KindRouter, format: FormatCLI, time: "2022-01-26T20:25:08.61556Z", source: "heroku", process: "router", method: "GET", path: "/", host: "x.herokuapp.com", dyno: "web.1", connect: 0, service: 3, status: 200, bytes: 5, wait: -1, queue: -1, at: AtInfo}},
	{"legacy with query", `2012-04-29T15:57:54+00:00 heroku[router]: GET www.foo.com/autocomplete/schools?q=Colegio+American dyno=web.4 queue=0 wait=0ms service=17ms status=200 bytes=496`,
		want{kind: KindRouter, format: FormatCLI, time: "2012-04-29T15:57:54Z", source: "heroku", process: "router", method: "GET", path: "/autocomplete/schools?q=Colegio+American", host: "www.foo.com", dyno: "web.4", connect: -1, service: 17, status: 200, bytes: 496, wait: 0, queue: 0, legacy: true}},
	{"legacy 2010 no dyno no status", `2010-12-10T15:13:46-07:00 heroku[router]: GET myapp.heroku.com/posts queue=0 wait=0ms service=1ms bytes=975`,
		want{kind: KindRouter, format: FormatCLI, time: "2010-12-10T22:13:46Z", source: "heroku", process: "router", method: "GET", path: "/posts", host: "myapp.heroku.com", connect: -1, service: 1, status: -1, bytes: 975, wait: 0, queue: 0, legacy: true}},
	{"legacy error", `2011-01-05T14:55:54-08:00 heroku[router]: Error H10 (App crashed) -> GET richarddawkins.net/comments/571657 dyno=none queue=0 wait=0ms service=0ms bytes=0`,
		want{kind: KindRouter, format: FormatCLI, time: "2011-01-05T22:55:54Z", source: "heroku", process: "router", method: "GET", path: "/comments/571657", host: "richarddawkins.net", dyno: "none", code: "H10", connect: -1, service: 0, status: -1, bytes: 0, wait: 0, queue: 0, legacy: true}},
	{"legacy error empty values", `2012-11-10T15:26:15+00:00 heroku[router]: Error H10 (App crashed) -> POST iamleeg-vulcan.herokuapp.com/make dyno= queue= wait= service= status=503 bytes=`,
		want{kind: KindRouter, format: FormatCLI, time: "2012-11-10T15:26:15Z", source: "heroku", process: "router", method: "POST", path: "/make", host: "iamleeg-vulcan.herokuapp.com", code: "H10", connect: -1, service: -1, status: 503, bytes: -1, wait: -1, queue: -1, legacy: true}},
	{"bare legacy body", `PUT shushu.herokuapp.com/resources/584093/billable_events/40531647 dyno=web.3 queue=0 wait=0ms service=52ms status=201 bytes=239`,
		want{kind: KindRouter, format: FormatNone, process: "router", method: "PUT", path: "/resources/584093/billable_events/40531647", host: "shushu.herokuapp.com", dyno: "web.3", connect: -1, service: 52, status: 201, bytes: 239, wait: 0, queue: 0, legacy: true}},
	{"bare modern body", `at=error code=H12 desc="Request timeout" method=GET path=/ host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect= service=30000ms status=503 bytes=0 protocol=http`,
		want{kind: KindRouter, format: FormatNone, process: "router", method: "GET", path: "/", host: "myapp.herokuapp.com", dyno: "web.1", code: "H12", connect: -1, service: 30000, status: 503, bytes: 0, wait: -1, queue: -1, at: AtError}},
	{"syslog drain frame", `277 <158>1 2015-12-13T06:02:17.590861+00:00 host heroku router - at=error code=H10 desc="App crashed" method=POST path="/crash" host=ancient-savannah-2923.herokuapp.com request_id=fdcf3bf3-97d3-48a5-8eff-3b28789e36ee fwd="120.148.233.212" dyno= connect= service= status=503 bytes=`,
		want{kind: KindRouter, format: FormatFrame, time: "2015-12-13T06:02:17.590861Z", source: "heroku", process: "router", method: "POST", path: "/crash", host: "ancient-savannah-2923.herokuapp.com", code: "H10", connect: -1, service: -1, status: 503, bytes: -1, wait: -1, queue: -1, at: AtError}},
	{"syslog two dashes", `<158>1 2013-04-23T01:07:19.030189+00:00 host heroku router - - at=info method=GET path=/api/v1/dependencies?gems=termios host=bundler-api.herokuapp.com request_id=64b787daac5b76918c0a2345e503464f fwd="54.245.255.174" dyno=web.2 connect=18ms service=5ms status=200 bytes=84`,
		want{kind: KindRouter, format: FormatSyslog, time: "2013-04-23T01:07:19.030189Z", source: "heroku", process: "router", method: "GET", path: "/api/v1/dependencies?gems=termios", host: "bundler-api.herokuapp.com", dyno: "web.2", connect: 18, service: 5, status: 200, bytes: 84, wait: -1, queue: -1, at: AtInfo}},
	{"logplex internal form", `<158>1 2011-12-12T23:20:13+00:00 hermes-argon.60125@heroku.com t.12d76170-aa5c-4f25-8f3a-bf214f93d208 router - - POST p.pingme.net/v1/poll dyno=web.26 queue=0 wait=0ms service=61ms status=200 bytes=2`,
		want{kind: KindRouter, format: FormatSyslog, time: "2011-12-12T23:20:13Z", process: "router", method: "POST", path: "/v1/poll", host: "p.pingme.net", dyno: "web.26", connect: -1, service: 61, status: 200, bytes: 2, wait: 0, queue: 0, legacy: true}},
	{"papertrail text router", `Apr 30 15:05:02 myapp heroku/router:  at=error code=H12 desc="Request timeout" method=GET path="/p" host=x.herokuapp.com request_id=r fwd="1.2.3.4" dyno=web.5 connect=2ms service=30000ms status=503 bytes=0 `,
		want{kind: KindRouter, format: FormatPapertrail, time: "2026-04-30T15:05:02Z", source: "heroku", process: "router", method: "GET", path: "/p", host: "x.herokuapp.com", dyno: "web.5", code: "H12", connect: 2, service: 30000, status: 503, bytes: 0, wait: -1, queue: -1, at: AtError}},
	// constructed: no real Papertrail archive row was found (log-formats.md §3).
	{"papertrail tsv", "1234567890\t2014-06-23T15:11:25Z\t2014-06-23T15:11:26Z\t42\tmyapp\t10.0.0.1\tLocal3\tInfo\theroku/router\tat=info method=GET path=\"/\" host=a.herokuapp.com dyno=web.2 connect=1ms service=9ms status=200 bytes=10",
		want{kind: KindRouter, format: FormatTSV, time: "2014-06-23T15:11:25Z", source: "heroku", process: "router", method: "GET", path: "/", host: "a.herokuapp.com", dyno: "web.2", connect: 1, service: 9, status: 200, bytes: 10, wait: -1, queue: -1, at: AtInfo}},
	// constructed: --force-colors wraps fields in SGR codes.
	{"ansi colours", "\x1b[32m2018-01-01T00:00:00.00+00:00\x1b[0m \x1b[33mheroku[router]:\x1b[0m at=info method=GET path=\"/\" host=h dyno=web.1 connect=1ms service=2ms status=200 bytes=3",
		want{kind: KindRouter, format: FormatCLI, time: "2018-01-01T00:00:00Z", source: "heroku", process: "router", method: "GET", path: "/", host: "h", dyno: "web.1", connect: 1, service: 2, status: 200, bytes: 3, wait: -1, queue: -1, at: AtInfo}},
	{"crlf", "2016-05-27T13:35:16+00:00 heroku[router]: at=info method=GET path=\"/\" host=h dyno=web.1 connect=1ms service=2ms status=200 bytes=3\r",
		want{kind: KindRouter, format: FormatCLI, time: "2016-05-27T13:35:16Z", source: "heroku", process: "router", method: "GET", path: "/", host: "h", dyno: "web.1", connect: 1, service: 2, status: 200, bytes: 3, wait: -1, queue: -1, at: AtInfo}},
	{"stray quote on host", `2010-09-16T15:13:46.677020+00:00 heroku[router]: at=info method=GET path="/posts" host=myapp.herokuapp.com" fwd=204.204.204.204 dyno=web.1 connect=1ms service=18ms status=200 bytes=975`,
		want{kind: KindRouter, format: FormatCLI, time: "2010-09-16T15:13:46.67702Z", source: "heroku", process: "router", method: "GET", path: "/posts", host: "myapp.herokuapp.com", dyno: "web.1", connect: 1, service: 18, status: 200, bytes: 975, wait: -1, queue: -1, at: AtInfo}},
	{"app line with service= is not router", `2026-11-20T14:00:00+00:00 app[web.1]: at=info method=GET path="/x" service=123ms status=200`,
		want{kind: KindApp, format: FormatCLI, time: "2026-11-20T14:00:00Z", source: "app", process: "web.1", connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1}},
	{"R14", `2012-04-29T15:57:50+00:00 heroku[web.4]: Error R14 (Memory quota exceeded)`,
		want{kind: KindDyno, format: FormatCLI, time: "2012-04-29T15:57:50Z", source: "heroku", process: "web.4", code: "R14", connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1, event: EventError}},
	{"crash", `<45>1 2015-05-09T20:21:25.608433+00:00 host heroku web.1 - State changed from starting to crashed`,
		want{kind: KindDyno, format: FormatSyslog, time: "2015-05-09T20:21:25.608433Z", source: "heroku", process: "web.1", connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1, event: EventCrash}},
	{"L10 drain", `<172>1 2015-06-08T21:53:21+00:00 host heroku logplex - Error L10 (output buffer overflow): 4 messages dropped since 2015-06-08T21:46:44+00:00.`,
		want{kind: KindLogplex, format: FormatSyslog, time: "2015-06-08T21:53:21Z", source: "heroku", process: "logplex", code: "L10", connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1, dropped: 4}},
	{"L11 without Error", `2013-05-07T17:42:56+00:00 heroku[logplex]: L11 (Tail buffer overflow) -> This tail session dropped 1101 messages since 2013-05-07T17:41:41+00:00`,
		want{kind: KindLogplex, format: FormatCLI, time: "2013-05-07T17:42:56Z", source: "heroku", process: "logplex", code: "L11", connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1, dropped: 1101}},
	{"L12 log-shuttle", `2013-11-04T21:31:32.125756+00:00 app[log-shuttle]: Error L12: 222 messages dropped since 2013-11-04T21:31:32.125756+00:00.`,
		want{kind: KindLogplex, format: FormatCLI, time: "2013-11-04T21:31:32.125756Z", source: "app", process: "log-shuttle", code: "L12", connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1, dropped: 222}},
	{"drain-id cli form", `2013-01-01T01:01:01.000000+00:00 d.9173ea1f-6f14-4976-9cf0-7cd0dafdcdbc app[web.1] Your message here.`,
		want{kind: KindApp, format: FormatCLI, time: "2013-01-01T01:01:01Z", source: "app", process: "web.1", connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1}},
	{"metrics bare", `source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#memory_total=21.00MB sample#memory_rss=21.22MB`,
		want{kind: KindMetrics, format: FormatNone, connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1}},
	{"blank", "   ", want{kind: KindBlank, connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1}},
	{"garbage", "\x00\x01binary", want{kind: KindUnparsed, connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1}},
	{"router without method", `2016-05-27T13:35:16+00:00 heroku[router]: hello world`,
		want{kind: KindMalformed, format: FormatCLI, time: "2016-05-27T13:35:16Z", source: "heroku", process: "router", connect: -1, service: -1, status: -1, bytes: -1, wait: -1, queue: -1}},
	{"huge number saturates", `2016-05-27T13:35:16+00:00 heroku[router]: at=info method=GET path="/" host=h dyno=web.1 connect=1ms service=99999999999999999999ms status=200 bytes=3`,
		want{kind: KindRouter, format: FormatCLI, time: "2016-05-27T13:35:16Z", source: "heroku", process: "router", method: "GET", path: "/", host: "h", dyno: "web.1", connect: 1, service: MaxValue, status: 200, bytes: 3, wait: -1, queue: -1, at: AtInfo}},
	{"negative is missing", `2016-05-27T13:35:16+00:00 heroku[router]: at=info method=GET path="/" host=h dyno=web.1 connect=1ms service=-5ms status=200 bytes=3`,
		want{kind: KindRouter, format: FormatCLI, time: "2016-05-27T13:35:16Z", source: "heroku", process: "router", method: "GET", path: "/", host: "h", dyno: "web.1", connect: 1, service: -1, status: 200, bytes: 3, wait: -1, queue: -1, at: AtInfo}},
}

func TestParse(t *testing.T) {
	p := NewParser()
	p.Year = 2026
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			var r Record
			p.Parse([]byte(tc.line), &r)
			w := tc.want
			var wantTime int64
			if w.time != "" {
				wantTime = us(w.time)
			}
			got := want{
				kind: r.Kind, format: r.Format, source: r.Source, process: r.Process, method: r.Method,
				path: string(r.Path), host: string(r.Host), dyno: r.Dyno, code: r.Code,
				connect: r.Connect, service: r.Service, status: r.Status, bytes: r.Bytes, wait: r.Wait, queue: r.Queue,
				legacy: r.Legacy, at: r.At, sock: r.Sock, event: r.Event, dropped: r.Dropped,
			}
			w.time = ""
			if w.dropped == 0 && got.dropped == Missing {
				got.dropped = 0
			}
			if w.kind == KindUnparsed || w.kind == KindBlank {
				got.format = w.format
			}
			if got != w {
				t.Errorf("\n got %+v\nwant %+v\nproblem %q", got, w, r.Problem)
			}
			if r.HasTime != (wantTime != 0) || r.Time != wantTime {
				t.Errorf("time = %v (has %v), want %v", time.UnixMicro(r.Time).UTC(), r.HasTime, time.UnixMicro(wantTime).UTC())
			}
		})
	}
}

func TestTimestamps(t *testing.T) {
	cases := map[string]string{
		"2012-08-06T19:11:20+00:00":           "2012-08-06T19:11:20Z",
		"2018-01-01T00:00:00.00+00:00":        "2018-01-01T00:00:00Z",
		"2015-01-07T14:04:14.174908+00:00":    "2015-01-07T14:04:14.174908Z",
		"2013-07-22T00:06:26-00:00":           "2013-07-22T00:06:26Z",
		"2014-09-19 11:39:25.901328+00:00":    "2014-09-19T11:39:25.901328Z",
		"2014-06-23T15:11:25Z":                "2014-06-23T15:11:25Z",
		"2020-02-29T23:59:59.999999999-05:30": "2020-03-01T05:29:59.999999Z",
		"1999-12-31T23:59:59+0100":            "1999-12-31T22:59:59Z",
	}
	var c minuteCache
	for in, out := range cases {
		got, _, ok := c.parseISO([]byte(in))
		if !ok || got != us(out) {
			t.Errorf("%s: got %v ok=%v, want %s", in, time.UnixMicro(got).UTC(), ok, out)
		}
	}
	for _, bad := range []string{"2012-13-06T19:11:20+00:00", "2012-08-06T25:11:20Z", "20x2-08-06T19:11:20Z", "2012-08-06"} {
		if _, _, ok := c.parseISO([]byte(bad)); ok {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestReaderCorpus(t *testing.T) {
	// Every corpus file reads to its end; kinds are all valid; the drain
	// bodies are split into frames.
	for _, tc := range []struct {
		file   string
		router int
		frames int
	}{
		{"goodeggs-https-drain-body-split.bin", 0, 3},
		{"logplex-parse-hs-spec.log", 2, 2},
		{"heroku-log-lights-example.log", 1, 0},
		{"devcenter-2014-docs-examples.log", 32, 0},
		{"legacy-bamboo-cedar-queue-wait-misc.log", 6, 2},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open("../testdata/corpus/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rd := NewReader(f, nil)
			router, frames := 0, 0
			for {
				r, err := rd.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.Kind == KindRouter {
					router++
				}
				if r.Format == FormatFrame {
					frames++
				}
			}
			if router != tc.router || frames != tc.frames {
				t.Errorf("router=%d frames=%d, want %d and %d", router, frames, tc.router, tc.frames)
			}
		})
	}
}

func TestReaderFramesBackToBack(t *testing.T) {
	f1 := "<172>1 2015-05-09T20:21:24+00:00 host heroku logplex - Error L10 (output buffer overflow): 1 messages dropped since 2015-05-09T20:19:03+00:00."
	f2 := "<158>1 2015-12-13T06:02:17.590861+00:00 host heroku router - at=info method=GET path=\"/\" host=h dyno=web.1 connect=1ms service=2ms status=200 bytes=3\n"
	body := strings.Join([]string{itoa(len(f1)), " ", f1, itoa(len(f2)), " ", f2}, "")
	rd := NewReader(strings.NewReader(body), nil)
	var kinds []Kind
	for {
		r, err := rd.Next()
		if err != nil {
			break
		}
		kinds = append(kinds, r.Kind)
	}
	if len(kinds) != 2 || kinds[0] != KindLogplex || kinds[1] != KindRouter {
		t.Fatalf("kinds = %v", kinds)
	}
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

func TestReaderOversizeAndLines(t *testing.T) {
	long := strings.Repeat("x", 10000)
	in := "a\n" + long + "\nb\n\nc"
	rd := NewReader(strings.NewReader(in), nil)
	rd.MaxLine = 1000
	var got []string
	for {
		r, err := rd.Next()
		if err != nil {
			break
		}
		got = append(got, r.Kind.String()+"@"+itoa(int(r.Line)))
	}
	want := "unparsed@1 oversize@2 unparsed@3 blank@4 unparsed@5"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	if rd.Offset() != int64(len(in)) {
		t.Fatalf("offset %d, want %d", rd.Offset(), len(in))
	}
}

func TestReaderAllocs(t *testing.T) {
	line := []byte(`2016-05-27T13:35:16.153374+00:00 heroku[router]: at=info method=POST path="/api/import/closeio/" host=backend.thermondo.de request_id=2388ebb8-fe62-4834-aa01-d1aca2f210ff fwd="54.203.52.130" dyno=web.13 connect=0ms service=158ms status=200 bytes=488` + "\n")
	data := bytes.Repeat(line, 2000)
	rd := NewReader(bytes.NewReader(data), nil)
	rd.Next() // warm the interner
	allocs := testing.AllocsPerRun(1, func() {
		for {
			if _, err := rd.Next(); err != nil {
				break
			}
		}
	})
	if allocs > 0 {
		t.Fatalf("%v allocations for 2000 lines, want 0", allocs)
	}
}

func TestSamples(t *testing.T) {
	var keys []string
	Samples([]byte("source=web.1 sample#memory_total=21.00MB sample#load_avg_1m=2.46 sample#bad=x"), func(k []byte, v float64, unit []byte, ok bool) {
		keys = append(keys, fmt.Sprintf("%s=%g%s/%v", k, v, unit, ok))
	})
	if got := strings.Join(keys, " "); got != "memory_total=21MB/true load_avg_1m=2.46/true bad=0x/false" {
		t.Fatalf("got %q", got)
	}
}
