package output

import (
	"encoding/json"
	"io"

	"github.com/herolog/herolog/aggregate"
)

// JSON writes the report as one indented JSON document: the stable
// contract for scripts (see aggregate.Report for the fields and units).
// Strings are escaped by encoding/json, so control characters from log
// content cannot reach a terminal raw; invalid UTF-8 is written \xNN
// (see FixUTF8), which rewrites r in place.
func JSON(w io.Writer, r *aggregate.Report, _ Options) error {
	FixUTF8(r)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
