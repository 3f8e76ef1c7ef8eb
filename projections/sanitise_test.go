package projections

import (
	"encoding/json"
	"testing"
)

func TestSanitiseArgs(t *testing.T) {
	s := "a\x00b\xffc"
	args := []any{"ok", s, &s, []string{"x", "y\x00"}, []byte(`{"a":"x\u0000y","b":"\\u0000"}`), json.RawMessage(`"\u0000"`), 7}
	got := sanitiseArgs(args)
	if got[0] != "ok" || got[1] != "ab\uFFFDc" || *got[2].(*string) != "ab\uFFFDc" || got[3].([]string)[1] != "y" || got[6] != 7 {
		t.Errorf("text: %#v", got)
	}
	// An escaped backslash followed by u0000 is text, not a NUL.
	if string(got[4].([]byte)) != `{"a":"xy","b":"\\u0000"}` || string(got[5].(json.RawMessage)) != `""` {
		t.Errorf("json: %s %s", got[4], got[5])
	}
	if args[1] != s || s != "a\x00b\xffc" {
		t.Error("the caller's arguments changed")
	}
	clean := []any{"a", []byte(`{}`)}
	if out := sanitiseArgs(clean); &out[0] != &clean[0] {
		t.Error("clean arguments were copied")
	}
}
