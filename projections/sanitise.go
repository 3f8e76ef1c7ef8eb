package projections

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Events already in the log may hold text that PostgreSQL's text and jsonb
// columns refuse: the NUL character (the json column of the PostgreSQL
// event store keeps the escape \u0000, and KurrentDB keeps anything), and
// invalid UTF-8. The API refuses both today, but the log is immutable and
// older events stay in it. Rather than stop the projector on such an event
// for good, every statement a projector sends through its DB is sanitised
// first: in text arguments (string, *string, []string) each NUL is
// removed and each invalid UTF-8 sequence becomes U+FFFD; in JSON
// arguments ([]byte, json.RawMessage) each \u0000 escape is removed. The
// event itself stays as it is in the log; only the read model shows the
// cleaned text, and a rebuild cleans it the same way.

// sanitiseArgs returns args with every text argument cleaned, copying the
// slice only when something changes.
func sanitiseArgs(args []any) []any {
	out := args
	for i, a := range args {
		c, changed := sanitiseArg(a)
		if !changed {
			continue
		}
		if &out[0] == &args[0] {
			out = append([]any(nil), args...)
		}
		out[i] = c
	}
	return out
}

func sanitiseArg(a any) (any, bool) {
	switch v := a.(type) {
	case string:
		if s, ok := cleanText(v); ok {
			return s, true
		}
	case *string:
		if v != nil {
			if s, ok := cleanText(*v); ok {
				return &s, true
			}
		}
	case []string:
		var out []string
		for i, s := range v {
			if c, ok := cleanText(s); ok {
				if out == nil {
					out = append([]string(nil), v...)
				}
				out[i] = c
			}
		}
		if out != nil {
			return out, true
		}
	case json.RawMessage:
		if b, ok := cleanJSON(v); ok {
			return json.RawMessage(b), true
		}
	case []byte:
		if b, ok := cleanJSON(v); ok {
			return b, true
		}
	}
	return a, false
}

// cleanText removes NUL and replaces invalid UTF-8; ok reports a change.
func cleanText(s string) (string, bool) {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s, false
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD"), true
}

var nulEscape = []byte(`\u0000`)

// cleanJSON removes every \u0000 escape from JSON text (one that is not
// itself an escaped backslash followed by "u0000"); ok reports a change.
func cleanJSON(b []byte) ([]byte, bool) {
	if !bytes.Contains(b, nulEscape) {
		return b, false
	}
	out := make([]byte, 0, len(b))
	changed := false
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if bytes.HasPrefix(b[i:], nulEscape) {
			i += len(nulEscape) - 1
			changed = true
			continue
		}
		out = append(out, b[i], b[i+1]) // any other escape, kept whole
		i++
	}
	return out, changed
}
