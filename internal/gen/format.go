package gen

import (
	"strconv"
	"time"
)

const hexdigits = "0123456789abcdef"

func appendHex(b []byte, x uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, hexdigits[(x>>(uint(i)*4))&15])
	}
	return b
}

// appendUUID appends a version-4 style UUID made of hi and lo.
func appendUUID(b []byte, hi, lo uint64) []byte {
	b = appendHex(b, hi>>32, 8)
	b = append(b, '-')
	b = appendHex(b, hi>>16, 4)
	b = append(b, '-', '4')
	b = appendHex(b, hi, 3)
	b = append(b, '-', "89ab"[lo>>62])
	b = appendHex(b, lo>>48, 3)
	b = append(b, '-')
	return appendHex(b, lo, 12)
}

// appendPad appends v as exactly n decimal digits.
func appendPad(b []byte, v int64, n int) []byte {
	var tmp [20]byte
	for i := n - 1; i >= 0; i-- {
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[:n]...)
}

// prefix returns "YYYY-MM-DDThh:mm:ss" for the second of us.
func (g *Generator) prefix(us int64) []byte {
	sec := us / 1e6
	if us < 0 && us%1e6 != 0 {
		sec--
	}
	if sec != g.tsSec || g.tsPrefix == nil {
		g.tsSec = sec
		g.tsPrefix = time.Unix(sec, 0).UTC().AppendFormat(g.tsPrefix[:0], "2006-01-02T15:04:05")
	}
	return g.tsPrefix
}

// appendTS appends an RFC 3339 timestamp; with frac, 6 fraction digits.
func (g *Generator) appendTS(b []byte, us int64, frac bool) []byte {
	b = append(b, g.prefix(us)...)
	if frac {
		b = append(b, '.')
		m := us % 1e6
		if m < 0 {
			m += 1e6
		}
		b = appendPad(b, m, 6)
	}
	return append(b, "+00:00"...)
}

var searchWords = []string{"shoes", "red+dress", "laptop", "coffee+beans", "tent", "gift", "headphones", "desk+lamp", "bike", "yoga+mat", "kettle", "backpack"}

var assetDigests = []string{"3f9a1c0b7e2d4a6f8c1e5b9d2a7f4c3e", "a81d5e0c93b74f26d18e0a5c7b39f4e2"}

// appendPath appends the request path rendered for route and rid.
func appendPath(b []byte, route int, rid uint64) []byte {
	h := mix(rid)
	switch route {
	case routeUser:
		b = append(b, "/api/users/"...)
		return strconv.AppendInt(b, int64(1+hashN(h, 250000)), 10)
	case routeOrder:
		b = append(b, "/api/orders/"...)
		return appendUUID(b, h, mix(h))
	case routeAsset:
		b = append(b, "/assets/app-"...)
		b = append(b, assetDigests[h&1]...)
		return append(b, ".js"...)
	case routeSearch:
		b = append(b, "/search?q="...)
		b = append(b, searchWords[hashN(h, len(searchWords))]...)
		if h&7 == 0 {
			b = append(b, "&page="...)
			b = strconv.AppendInt(b, int64(2+(h>>8)%5), 10)
		}
		return b
	}
	return append(b, baseRoutes[route].Name...)
}

// appendIP appends the client IP for rid (from a pool of recurring clients).
func appendIP(b []byte, rid uint64) []byte {
	h := mix(rid ^ 0x1f83d9abfb41bd6b)
	c := mix(uint64(hashN(h, 4000)) + 77)
	b = strconv.AppendInt(b, int64(11+c%200), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64((c>>8)&255), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64((c>>16)&255), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(1+(c>>24)%254), 10)
}

// status and bytes of a completed (non-H12) request.
func statusBytes(route int, rid uint64) (int, int64) {
	h := mix(rid ^ 0x3c6ef372fe94f82b)
	base := baseRoutes[route].Bytes
	n := base/2 + int64(h>>40)%base
	p := h % 1000
	switch {
	case route == routeAsset && p < 300:
		return 304, 0
	case route == routeOrderPost:
		if p < 20 {
			return 422, 180
		}
		return 201, n
	case route == routeUser && p < 15:
		return 404, 520
	case p == 999:
		return 500, 1477
	}
	return 200, n
}

// line kinds for envelopes
type origin struct {
	source string // "heroku" or "app"
	pri    string // syslog PRI
	fac    string // Papertrail facility
	sev    string // Papertrail severity
}

var (
	oRouter  = origin{"heroku", "158", "Local3", "Info"}
	oApp     = origin{"app", "190", "Local7", "Info"}
	oDyno    = origin{"heroku", "45", "Syslog", "Notice"}
	oLogplex = origin{"heroku", "172", "Local5", "Warning"}
)

// emit formats e and writes it.
func (g *Generator) emit(e *event) {
	cfg := &g.cfg
	var o origin
	var proc []byte
	msg := g.line[:0]
	legacy := cfg.Format == Legacy
	d := int(e.dyno)
	route := int(e.route)
	switch e.kind {
	case evRouter:
		o, proc = oRouter, routerProc
		g.truth.router(e)
		if legacy {
			msg = g.legacyRouter(msg, e)
			break
		}
		if e.h12 {
			msg = append(msg, `at=error code=H12 desc="Request timeout" method=`...)
		} else {
			msg = append(msg, "at=info method="...)
		}
		msg = append(msg, baseRoutes[route].Method...)
		msg = append(msg, ` path="`...)
		msg = appendPath(msg, route, e.rid)
		msg = append(msg, `" host=`...)
		msg = append(msg, cfg.AppName...)
		msg = append(msg, ".herokuapp.com request_id="...)
		msg = appendUUID(msg, mix(e.rid^0x510e527fade682d1), mix(e.rid^0x9b05688c2b3e6c1f))
		msg = append(msg, ` fwd="`...)
		msg = appendIP(msg, e.rid)
		msg = append(msg, `" dyno=`...)
		msg = append(msg, g.dynoName[d]...)
		msg = append(msg, " connect="...)
		msg = strconv.AppendInt(msg, int64(e.connect), 10)
		msg = append(msg, "ms service="...)
		msg = strconv.AppendInt(msg, int64(e.service), 10)
		if e.h12 {
			msg = append(msg, "ms status=503 bytes=0 protocol=https"...)
			break
		}
		st, n := statusBytes(route, e.rid)
		msg = append(msg, "ms status="...)
		msg = strconv.AppendInt(msg, int64(st), 10)
		msg = append(msg, " bytes="...)
		msg = strconv.AppendInt(msg, n, 10)
		msg = append(msg, " protocol=https"...)
	case evStarted:
		o, proc = oApp, g.dynoName[d]
		g.truth.appLines++
		msg = append(msg, "Started "...)
		msg = append(msg, baseRoutes[route].Method...)
		msg = append(msg, ` "`...)
		msg = appendPath(msg, route, e.rid)
		msg = append(msg, `" for `...)
		msg = appendIP(msg, e.rid)
		msg = append(msg, " at "...)
		p := len(msg)
		msg = append(msg, g.prefix(e.ts)...)
		msg[p+10] = ' '
		msg = append(msg, " +0000"...)
	case evCompleted:
		o, proc = oApp, g.dynoName[d]
		g.truth.appLines++
		st, _ := statusBytes(route, e.rid)
		msg = append(msg, "Completed "...)
		msg = strconv.AppendInt(msg, int64(st), 10)
		msg = append(msg, ' ')
		msg = append(msg, statusText(st)...)
		msg = append(msg, " in "...)
		msg = strconv.AppendInt(msg, int64(e.app), 10)
		h := mix(e.rid ^ 0xa54ff53a5f1d36f1)
		msg = append(msg, "ms (Views: "...)
		v := int64(e.app) * int64(h%40) / 100
		msg = strconv.AppendInt(msg, v, 10)
		msg = append(msg, '.')
		msg = strconv.AppendInt(msg, int64(h>>8)%10, 10)
		msg = append(msg, "ms | ActiveRecord: "...)
		msg = strconv.AppendInt(msg, int64(e.app)*int64((h>>16)%50)/100, 10)
		msg = append(msg, '.')
		msg = strconv.AppendInt(msg, int64(h>>24)%10, 10)
		msg = append(msg, "ms)"...)
	case evAppLogfmt:
		o, proc = oApp, g.dynoName[d]
		g.truth.appLines++
		g.truth.serviceText++
		st, _ := statusBytes(route, e.rid)
		msg = append(msg, "at=info component=upstream method="...)
		msg = append(msg, baseRoutes[route].Method...)
		msg = append(msg, ` path="`...)
		msg = appendPath(msg, route, e.rid)
		msg = append(msg, `" dyno=`...)
		msg = append(msg, g.dynoName[d]...)
		msg = append(msg, " service="...)
		msg = strconv.AppendInt(msg, int64(e.app), 10)
		msg = append(msg, "ms status="...)
		msg = strconv.AppendInt(msg, int64(st), 10)
	case evLoad:
		o, proc = oDyno, g.dynoName[d]
		g.truth.metrics++
		msg = g.sourceDyno(msg, d)
		for i, k := range [3]string{" sample#load_avg_1m=", " sample#load_avg_5m=", " sample#load_avg_15m="} {
			msg = append(msg, k...)
			msg = appendCenti(msg, int64(g.dynos[d].load[i]*100+0.5))
		}
	case evMem:
		o, proc = oDyno, g.dynoName[d]
		g.truth.metrics++
		g.truth.mem(d, e.aux)
		total := e.aux
		quota := int64(cfg.MemoryQuotaMB * 100)
		swap := int64(0)
		if total > quota {
			swap = (total - quota) * 6 / 10
		}
		msg = g.sourceDyno(msg, d)
		msg = append(msg, " sample#memory_total="...)
		msg = appendCenti(msg, total)
		msg = append(msg, "MB sample#memory_rss="...)
		msg = appendCenti(msg, total-swap-int64(e.rid%300))
		msg = append(msg, "MB sample#memory_cache="...)
		msg = appendCenti(msg, int64(e.rid%300))
		msg = append(msg, "MB sample#memory_swap="...)
		msg = appendCenti(msg, swap)
		msg = append(msg, "MB sample#memory_pgpgin="...)
		msg = strconv.AppendInt(msg, 300000+int64(e.rid>>20)%90000, 10)
		msg = append(msg, "pages sample#memory_pgpgout="...)
		msg = strconv.AppendInt(msg, 290000+int64(e.rid>>40)%9000, 10)
		msg = append(msg, "pages sample#memory_quota="...)
		msg = appendCenti(msg, quota)
		msg = append(msg, "MB"...)
	case evProcMem:
		o, proc = oDyno, g.dynoName[d]
		g.truth.dynoLines++
		msg = append(msg, "Process running mem="...)
		msg = strconv.AppendInt(msg, e.aux/100, 10)
		if legacy {
			msg = append(msg, "MB("...)
		} else {
			msg = append(msg, "M("...)
		}
		msg = appendDeci(msg, e.aux*1000/int64(cfg.MemoryQuotaMB*100))
		msg = append(msg, "%)"...)
	case evR14:
		o, proc = oDyno, g.dynoName[d]
		g.truth.dynoLines++
		g.truth.r14++
		msg = append(msg, "Error R14 (Memory quota exceeded)"...)
	case evStartingProc:
		o, proc = oDyno, g.dynoName[d]
		g.truth.dynoLines++
		msg = append(msg, "Starting process with command `bundle exec puma -C config/puma.rb`"...)
	case evStateUp:
		o, proc = oDyno, g.dynoName[d]
		g.truth.dynoLines++
		msg = append(msg, "State changed from starting to up"...)
	case evStopping:
		o, proc = oDyno, g.dynoName[d]
		g.truth.dynoLines++
		msg = append(msg, "Cycling"...)
	case evExited:
		o, proc = oDyno, g.dynoName[d]
		g.truth.dynoLines++
		msg = append(msg, "Process exited with status 143"...)
	case evL10:
		o, proc = oLogplex, logplexProc
		g.truth.l10++
		msg = append(msg, "Error L10 (output buffer overflow): "...)
		msg = strconv.AppendInt(msg, e.aux, 10)
		msg = append(msg, " messages dropped since "...)
		msg = g.appendTS(msg, e.aux2, false)
		msg = append(msg, '.')
	}
	g.line = msg
	g.write(e, o, proc, msg)
}

var (
	routerProc  = []byte("router")
	logplexProc = []byte("logplex")
)

func (g *Generator) sourceDyno(b []byte, d int) []byte {
	b = append(b, "source="...)
	b = append(b, g.dynoName[d]...)
	b = append(b, " dyno="...)
	return append(b, g.dynoID[d]...)
}

// appendCenti appends v/100 with two decimals.
func appendCenti(b []byte, v int64) []byte {
	if v < 0 {
		v = 0
	}
	b = strconv.AppendInt(b, v/100, 10)
	b = append(b, '.')
	return appendPad(b, v%100, 2)
}

// appendDeci appends v/10 with one decimal.
func appendDeci(b []byte, v int64) []byte {
	b = strconv.AppendInt(b, v/10, 10)
	b = append(b, '.')
	return strconv.AppendInt(b, v%10, 10)
}

func statusText(st int) string {
	switch st {
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 304:
		return "Not Modified"
	case 404:
		return "Not Found"
	case 422:
		return "Unprocessable Entity"
	}
	return "Internal Server Error"
}

// legacyRouter appends a pre-2013 router message.
func (g *Generator) legacyRouter(b []byte, e *event) []byte {
	svc := int64(e.app)
	st, n := statusBytes(int(e.route), e.rid)
	if e.h12 {
		b = append(b, "Error H12 (Request timeout) -> "...)
		svc = 30000 - int64(e.wait)
		if svc < 0 {
			svc = 0
		}
		st, n = 503, 0
	}
	b = append(b, baseRoutes[e.route].Method...)
	b = append(b, ' ')
	b = append(b, g.cfg.AppName...)
	b = append(b, ".herokuapp.com"...)
	b = appendPath(b, int(e.route), e.rid)
	b = append(b, " dyno="...)
	b = append(b, g.dynoName[e.dyno]...)
	b = append(b, " queue="...)
	b = strconv.AppendInt(b, int64(e.queue), 10)
	b = append(b, " wait="...)
	b = strconv.AppendInt(b, int64(e.wait), 10)
	b = append(b, "ms service="...)
	b = strconv.AppendInt(b, svc, 10)
	b = append(b, "ms status="...)
	b = strconv.AppendInt(b, int64(st), 10)
	b = append(b, " bytes="...)
	return strconv.AppendInt(b, n, 10)
}

// write wraps msg in the configured envelope and writes it.
func (g *Generator) write(e *event, o origin, proc, msg []byte) {
	out := g.bw.AvailableBuffer()
	switch g.cfg.Format {
	case CLI, Legacy:
		out = g.appendTS(out, e.ts, g.cfg.Format == CLI)
		out = append(out, ' ')
		out = append(out, o.source...)
		out = append(out, '[')
		out = append(out, proc...)
		out = append(out, "]: "...)
		out = append(out, msg...)
		out = append(out, '\n')
	case Syslog, Framed:
		p := len(out)
		out = append(out, '<')
		out = append(out, o.pri...)
		out = append(out, ">1 "...)
		out = g.appendTS(out, e.ts, true)
		out = append(out, " host "...)
		out = append(out, o.source...)
		out = append(out, ' ')
		out = append(out, proc...)
		out = append(out, " - "...)
		out = append(out, msg...)
		if g.cfg.Format == Syslog || !g.cfg.FramedNoNewline {
			out = append(out, '\n')
		}
		if g.cfg.Format == Framed {
			// RFC 6587 octet counting: LEN SP syslog-msg, LEN counting the newline.
			g.frame = append(g.frame[:0], out[p:]...)
			out = strconv.AppendInt(out[:p], int64(len(g.frame)), 10)
			out = append(out, ' ')
			out = append(out, g.frame...)
		}
	case PapertrailTSV:
		g.ptID += 1 + int64(e.rid%3)
		out = strconv.AppendInt(out, g.ptID, 10)
		out = append(out, '\t')
		out = append(out, g.prefix(e.ts)...)
		out = append(out, "Z\t"...)
		out = append(out, g.prefix(e.ts+int64(e.rid%900_000)+100_000)...)
		out = append(out, "Z\t8137459\t"...)
		out = append(out, g.cfg.AppName...)
		out = append(out, "\t54.227.41.8\t"...)
		out = append(out, o.fac...)
		out = append(out, '\t')
		out = append(out, o.sev...)
		out = append(out, '\t')
		out = append(out, o.source...)
		out = append(out, '/')
		out = append(out, proc...)
		out = append(out, '\t')
		out = append(out, msg...)
		out = append(out, '\n')
	}
	g.bw.Write(out)
	g.written += int64(len(out))
	g.truth.lines++
	g.truth.last(e.ts)
}
