package commands

import (
	"errors"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"supportd/domain"
)

// Passwords hashes and verifies user passwords. Hashing is slow on purpose;
// tests use a cheap cost.
type Passwords interface {
	Hash(password string) (string, error)
	Verify(hash, password string) bool
}

// Bcrypt hashes passwords with bcrypt at Cost (bcrypt.DefaultCost if 0).
type Bcrypt struct{ Cost int }

// Hash implements Passwords. It enforces the password rules: 8 to 72 bytes
// (bcrypt's limit).
func (b Bcrypt) Hash(password string) (string, error) {
	if utf8.RuneCountInString(password) < 8 || len(password) > 72 {
		return "", domain.Errorf(domain.Invalid, "agent.password", "password", "must be 8 to 72 bytes long")
	}
	cost := b.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", errors.Join(errors.New("hash password"), err)
	}
	return string(h), nil
}

// Verify implements Passwords.
func (Bcrypt) Verify(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// prefixField points a rule violation at a nested input ("admin.password").
func prefixField(err error, prefix string) error {
	var de *domain.Error
	if errors.As(err, &de) && de.Field != "" {
		c := *de
		c.Field = prefix + c.Field
		return &c
	}
	return err
}
