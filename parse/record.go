package parse

// Kind says what a log record is. Every record gets exactly one kind, so the
// per-kind counts of a run always add up to the number of records read.
type Kind uint8

// The kinds of record, in the order they are reported.
const (
	// KindUnparsed is a record in no format herolog knows (or a bare message
	// it could not classify).
	KindUnparsed Kind = iota
	// KindRouter is a Heroku router request line, modern (at=info ...) or
	// legacy (GET host/path ... queue= wait=), with or without an error code.
	KindRouter
	// KindDyno is a dyno manager message: state changes, R-codes (R10, R14,
	// R15, ...), "Process running mem=", process exits, idling.
	KindDyno
	// KindMetrics is a runtime-metrics or add-on metrics sample (sample#...).
	KindMetrics
	// KindLogplex is a Logplex or log-shuttle L-code line (L10 to L15).
	KindLogplex
	// KindApp is a line the application wrote, including app[api] release
	// events and every other non-router process. App lines are never read as
	// router lines, even when they contain router-like keys.
	KindApp
	// KindPlatform is any other Heroku platform line (heroku[api], heroku[nginx],
	// heroku[scheduler], ...).
	KindPlatform
	// KindBlank is an empty or whitespace-only line.
	KindBlank
	// KindMalformed is a record whose envelope was recognised but whose body is
	// broken: a router line with no method or path, a bad frame length, an
	// unparsable timestamp. Problem says why.
	KindMalformed
	// KindOversize is a line longer than the reader's limit; its content is
	// skipped, not parsed.
	KindOversize

	// NumKinds is the number of kinds.
	NumKinds
)

var kindNames = [NumKinds]string{
	KindUnparsed:  "unparsed",
	KindRouter:    "router",
	KindDyno:      "dyno",
	KindMetrics:   "metrics",
	KindLogplex:   "logplex",
	KindApp:       "app",
	KindPlatform:  "platform",
	KindBlank:     "blank",
	KindMalformed: "malformed",
	KindOversize:  "oversize",
}

// String returns the kind's name as used in reports ("router", "app", ...).
func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Format says which outer layer a record came in.
type Format uint8

// The outer formats herolog recognises.
const (
	FormatNone       Format = iota // no envelope (a bare message body)
	FormatCLI                      // heroku logs: TS source[dyno]: msg
	FormatSyslog                   // RFC 5424 as Logplex sends it, one per line
	FormatFrame                    // RFC 6587 octet-counted frame (syslog drains, HTTPS drain bodies)
	FormatPapertrail               // Papertrail text: Mon DD hh:mm:ss system source/dyno:  msg
	FormatTSV                      // Papertrail archive row (10 tab-separated columns)
)

var formatNames = [...]string{"none", "cli", "syslog", "frame", "papertrail", "tsv"}

// String returns the format's name.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// At is the router's at= level.
type At uint8

// Router levels.
const (
	AtNone    At = iota // absent (legacy lines)
	AtInfo              // at=info
	AtWarning           // at=warning
	AtError             // at=error
	AtOther             // any other value
)

var atNames = [...]string{"", "info", "warning", "error", "other"}

// String returns "info", "warning", "error", "other", or "" when absent.
func (a At) String() string {
	if int(a) < len(atNames) {
		return atNames[a]
	}
	return "other"
}

// Sock is the router's sock= value (H18, H27).
type Sock uint8

// Sock values.
const (
	SockNone    Sock = iota // absent
	SockClient              // sock=client
	SockBackend             // sock=backend
	SockOther               // any other value
)

var sockNames = [...]string{"", "client", "backend", "other"}

// String returns "client", "backend", "other", or "" when absent.
func (s Sock) String() string {
	if int(s) < len(sockNames) {
		return sockNames[s]
	}
	return "other"
}

// Event classifies dyno manager (KindDyno) messages.
type Event uint8

// Dyno events.
const (
	EventNone    Event = iota // not a dyno record, or an unclassified dyno message
	EventState                // State changed from X to Y
	EventStart                // Starting process with command ...
	EventExit                 // Process exited with status N
	EventStop                 // Stopping all processes with SIGTERM / Stopping process with SIGKILL
	EventCrash                // State changed from X to crashed
	EventMemory               // Process running mem=...
	EventError                // Error Rxx (...)
	EventIdle                 // Idling / Unidling / Awaiting client / connection closed
	EventRestart              // Cycling, Restarting
)

var eventNames = [...]string{"", "state", "start", "exit", "stop", "crash", "memory", "error", "idle", "restart"}

// String returns the event's name ("state", "crash", "memory", ...), or "".
func (e Event) String() string {
	if int(e) < len(eventNames) {
		return eventNames[e]
	}
	return ""
}

// Missing marks an absent or empty numeric field ("service=" is missing, not
// zero). Valid values are never negative.
const Missing int64 = -1

// MaxValue is the largest number a numeric field holds; larger numbers in the
// input (service=99999999999999999999ms) saturate here and set Clamped.
const MaxValue int64 = 1 << 53

// Record is one log event. Parser.Parse and Reader.Next fill a Record in
// place; nothing in it is allocated per line.
//
// Lifetime contract: the []byte fields are views into the reader's buffer and
// are valid only until the next call to Next or Parse; copy what you keep.
// The string fields (Process, Source, Dyno, Method, Code, Protocol) are
// interned: they stay valid for ever and may be kept and used as map keys.
//
// Numeric fields hold Missing (-1) when the field is absent or empty.
// Durations are whole milliseconds.
type Record struct {
	Kind   Kind
	Format Format

	// Time is the record's timestamp in microseconds since the Unix epoch,
	// UTC. HasTime is false when the record carried no timestamp (bare
	// message bodies) or it could not be read.
	Time    int64
	HasTime bool

	Source  string // "app" or "heroku", or "" when unknown
	Process string // "router", "web.1", "logplex", "api", ... ("" when unknown)
	Message []byte // the message body after the envelope

	// Line is the 1-based physical line on which the record starts; Offset
	// its byte offset in the (decompressed) input.
	Line   int64
	Offset int64

	// Router fields (KindRouter).
	Legacy     bool   // pre-2013 router format (queue=/wait=, or "Error Hxx (...) -> GET ...")
	At         At     // at=
	Sock       Sock   // sock=
	Code       string // error code (H12, R14, L10, ...), "" when none
	Desc       []byte // desc="..." (router) or the parenthesised description (Rxx, Lxx)
	Cause      []byte // cause="..." (H26)
	Method     string // GET, POST, ...
	Path       []byte // path and query, as logged
	Host       []byte // host=
	RequestID  []byte // request_id=
	Fwd        []byte // fwd= (X-Forwarded-For, possibly a list)
	Dyno       string // dyno= ("" when empty or absent; "none" is kept as logged)
	Protocol   string // protocol= (http, https), "" when absent
	TLSVersion []byte // tls_version=
	Connect    int64  // connect= in ms, or Missing
	Service    int64  // service= in ms, or Missing
	Status     int64  // status=, or Missing
	Bytes      int64  // bytes=, or Missing
	Queue      int64  // legacy queue= (a depth, not a duration), or Missing
	Wait       int64  // legacy wait= in ms, or Missing

	// Dyno, metrics and logplex fields.
	Event   Event   // KindDyno: what happened
	MemMB   float64 // KindDyno "Process running mem=" or KindMetrics memory_total, in MB; -1 when absent
	Dropped int64   // KindLogplex: messages dropped or lost (L10–L13), or Missing

	// Clamped is set when a numeric field was larger than MaxValue or not a
	// valid number and was saturated or treated as missing; BadField names
	// the first such field ("service", ...), "" when none.
	Clamped  bool
	BadField string

	// Problem says why a record is KindMalformed or KindUnparsed, in a few
	// static words ("router line without method", ...). Empty otherwise.
	Problem string
}

// reset clears r for reuse, keeping nothing from the previous record.
func (r *Record) reset() {
	// Zeroing then eight stores is cheaper than copying a 448-byte
	// template (a line's every field is reset).
	*r = Record{}
	r.Connect, r.Service, r.Status, r.Bytes = Missing, Missing, Missing, Missing
	r.Queue, r.Wait, r.Dropped, r.MemMB = Missing, Missing, Missing, -1
}

// IsError reports whether a router record carries a Heroku error code
// (H10–H99) or a 5xx status.
func (r *Record) IsError() bool {
	return r.Code != "" || r.Status >= 500
}
