package tenant

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"supportd/domain"
)

// MinPasswordLength is the fewest characters a password has.
const MinPasswordLength = 8

//go:embed common_passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if w := strings.TrimSpace(line); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// CheckPassword is the rule every new password follows: 8 characters or
// more and at most 72 bytes (bcrypt's limit), not blank, not one of the
// commonly used passwords, and not derived from what others know of the
// account (related: its e-mail address, nickname, the tenant's name). field
// names the input in the refusal.
func CheckPassword(field, password string, related ...string) error {
	refuse := func(why string) error {
		return domain.Errorf(domain.Invalid, "agent.password", field, "%s", why)
	}
	if utf8.RuneCountInString(password) < MinPasswordLength || len(password) > 72 {
		return refuse("must be 8 to 72 bytes long")
	}
	if strings.TrimFunc(password, unicode.IsSpace) == "" {
		return refuse("must not be blank")
	}
	folded := normalisePassword(password)
	if commonPasswords[folded] || commonPasswords[strings.TrimRight(folded, "0123456789!?.")] {
		return refuse("is too common")
	}
	if r := []rune(folded); len(r) > 0 && strings.Count(folded, string(r[0])) == len(r) {
		return refuse("must not repeat one character")
	}
	for _, rel := range related {
		rel = normalisePassword(rel)
		if rel == "" {
			continue
		}
		candidates := []string{rel}
		if local, _, ok := strings.Cut(rel, "@"); ok && local != "" {
			candidates = append(candidates, local)
		}
		for _, c := range candidates {
			if utf8.RuneCountInString(c) < 4 {
				continue
			}
			// The word itself with a few characters around it ("annie2024!").
			if strings.Contains(folded, c) && utf8.RuneCountInString(folded)-utf8.RuneCountInString(c) <= 6 {
				return refuse("must not be derived from the e-mail address, nickname or tenant name")
			}
		}
	}
	return nil
}

// normalisePassword folds case and drops spaces, so "Pass Word" is
// "password".
func normalisePassword(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}
