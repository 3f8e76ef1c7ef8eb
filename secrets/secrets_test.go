package secrets_test

import (
	"strings"
	"testing"

	"supportd/secrets"
)

func TestSealOpen(t *testing.T) {
	a, err := secrets.ParseKey(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := secrets.ParseKey(strings.Repeat("cd", 32))
	sealed, err := a.Seal("webhook-secret-1234")
	if err != nil || !secrets.IsSealed(sealed) || strings.Contains(sealed, "webhook-secret") || secrets.Hint(sealed) != "1234" {
		t.Fatalf("sealed %q, %v", sealed, err)
	}
	if again, _ := a.Seal("webhook-secret-1234"); again == sealed {
		t.Error("sealing twice gives the same text")
	}
	if plain, err := a.Open(sealed); err != nil || plain != "webhook-secret-1234" {
		t.Errorf("open: %q %v", plain, err)
	}
	if _, err := b.Open(sealed); err == nil {
		t.Error("another key opens it")
	}
	if _, err := a.Open(sealed[:len(sealed)-2] + "AA"); err == nil {
		t.Error("a damaged secret opens")
	}
	if plain, err := a.Open("legacy-plain-secret"); err != nil || plain != "legacy-plain-secret" {
		t.Errorf("plain secret: %q %v", plain, err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("z", 64)} {
		if _, err := secrets.ParseKey(bad); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}
