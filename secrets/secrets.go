// Package secrets seals secrets that supportd must read back (webhook
// signing keys) with AES-256-GCM under the server's secret key, so that
// neither the event log nor the read models hold them in plain text.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Prefix starts every sealed secret: "sealed.v1.<hint>.<base64 nonce and
// ciphertext>". The hint is the last four characters of the plain secret,
// what admins are shown to tell secrets apart.
const Prefix = "sealed.v1."

// IsSealed says whether s is a sealed secret (else it is a plain one, as
// written before sealing existed).
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }

// Hint is the hint a sealed secret carries, or a plain secret's last four
// characters.
func Hint(s string) string {
	if IsSealed(s) {
		hint, _, _ := strings.Cut(strings.TrimPrefix(s, Prefix), ".")
		return hint
	}
	if r := []rune(s); len(r) >= 4 {
		return string(r[len(r)-4:])
	}
	return ""
}

// Sealer seals and opens secrets under one key.
type Sealer struct{ aead cipher.AEAD }

// ParseKey reads a 32-byte key written as 64 hex digits or base64.
func ParseKey(s string) (*Sealer, error) {
	s = strings.TrimSpace(s)
	key, err := hex.DecodeString(s)
	if err != nil || len(key) != 32 {
		key, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil || len(key) != 32 {
		return nil, errors.New("secret key: want 32 bytes as 64 hex digits or base64")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain; a sealed secret is returned as it is.
func (s *Sealer) Seal(plain string) (string, error) {
	if IsSealed(plain) {
		return plain, nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	hint := strings.ReplaceAll(Hint(plain), ".", "·")
	box := s.aead.Seal(nonce, nonce, []byte(plain), []byte(Prefix))
	return Prefix + hint + "." + base64.RawURLEncoding.EncodeToString(box), nil
}

// Open decrypts a sealed secret; a plain one (written before sealing) is
// returned as it is.
func (s *Sealer) Open(sealed string) (string, error) {
	if !IsSealed(sealed) {
		return sealed, nil
	}
	i := strings.LastIndexByte(sealed, '.')
	box, err := base64.RawURLEncoding.DecodeString(sealed[i+1:])
	n := s.aead.NonceSize()
	if err != nil || len(box) < n+s.aead.Overhead() {
		return "", errors.New("open secret: malformed")
	}
	plain, err := s.aead.Open(nil, box[:n], box[n:], []byte(Prefix))
	if err != nil {
		return "", errors.New("open secret: wrong key or damaged")
	}
	return string(plain), nil
}
