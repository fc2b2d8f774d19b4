package aggregate

// codeDescriptions are Heroku's titles for its error codes (devcenter
// error-codes, May 2024, plus codes seen only in older logs).
var codeDescriptions = map[string]string{
	"H10": "App crashed",
	"H11": "Backlog too deep",
	"H12": "Request timeout",
	"H13": "Connection closed without response",
	"H14": "No web dynos running",
	"H15": "Idle connection",
	"H16": "Redirect to herokuapp.com (no longer in use)",
	"H17": "Poorly formatted HTTP response",
	"H18": "Server Request Interrupted",
	"H19": "Backend connection timeout",
	"H20": "App boot timeout",
	"H21": "Backend connection refused",
	"H22": "Connection limit reached",
	"H23": "Endpoint misconfigured",
	"H24": "Forced close",
	"H25": "HTTP Restriction",
	"H26": "Request Error",
	"H27": "Client Request Interrupted",
	"H28": "Client Connection Idle",
	"H31": "Misdirected Request",
	"H32": "TLS Certificate Mismatch",
	"H70": "Access to Bamboo HTTP endpoint denied",
	"H80": "Maintenance mode",
	"H81": "Blank app",
	"H82": "You've used up your dyno hour pool",
	"H83": "Planned Service Degradation",
	"H99": "Platform error",
	"R10": "Boot timeout",
	"R12": "Exit timeout",
	"R13": "Attach error",
	"R14": "Memory quota exceeded",
	"R15": "Memory quota vastly exceeded",
	"R16": "Detached",
	"R17": "Checksum error",
	"R99": "Platform error",
	"L10": "Drain buffer overflow",
	"L11": "Tail buffer overflow",
	"L12": "Local buffer overflow",
	"L13": "Local delivery error",
	"L14": "Certificate validation error",
	"L15": "Tail buffer temporarily unavailable",
}

// CodeDescription returns Heroku's title for an error code ("H12" →
// "Request timeout"), or "unknown code" for codes Heroku does not list.
func CodeDescription(code string) string {
	if d, ok := codeDescriptions[code]; ok {
		return d
	}
	return "unknown code"
}
