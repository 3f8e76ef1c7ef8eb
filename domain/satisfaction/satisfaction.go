// Package satisfaction holds the rating options customers are offered:
// for each star level a text prompt and labels (seed 002, "Rating
// options"), set for the whole tenant (rating.options) and per team (seed
// 001: "by skill group and global dimension"). A rating must name a label
// of its star level when that level has labels.
package satisfaction

import (
	"slices"
	"strings"
	"unicode/utf8"

	"supportd/domain"
	"supportd/eventschema"
)

// Bounds of the options.
const (
	MaxPrompt = 50
	MaxLabels = 10
	MaxLabel  = 20
)

// Default is the manual's five levels with their prompts and no labels.
func Default() eventschema.RatingOptions {
	return eventschema.RatingOptions{Stars: []eventschema.RatingStar{
		{Stars: 1, Prompt: "Very dissatisfied", Labels: []string{}},
		{Stars: 2, Prompt: "Dissatisfied", Labels: []string{}},
		{Stars: 3, Prompt: "Neutral", Labels: []string{}},
		{Stars: 4, Prompt: "Satisfied", Labels: []string{}},
		{Stars: 5, Prompt: "Very satisfied", Labels: []string{}},
	}}
}

// Validate checks options and returns them in canonical form: one entry
// per star level 1 to 5, sorted, prompts and labels trimmed, labels
// distinct. A level left out has no prompt and no labels.
func Validate(o eventschema.RatingOptions) (eventschema.RatingOptions, error) {
	byStars := map[int]eventschema.RatingStar{}
	for _, s := range o.Stars {
		if s.Stars < 1 || s.Stars > 5 {
			return o, invalid("stars", "star levels are 1 to 5")
		}
		if _, dup := byStars[s.Stars]; dup {
			return o, invalid("stars", "star level %d is given twice", s.Stars)
		}
		s.Prompt = strings.TrimSpace(s.Prompt)
		if utf8.RuneCountInString(s.Prompt) > MaxPrompt {
			return o, invalid("prompt", "a prompt has at most %d characters", MaxPrompt)
		}
		labels := []string{}
		for _, l := range s.Labels {
			l = strings.TrimSpace(l)
			if n := utf8.RuneCountInString(l); n == 0 || n > MaxLabel {
				return o, invalid("labels", "a label has 1 to %d characters", MaxLabel)
			}
			if !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
		if len(labels) > MaxLabels {
			return o, invalid("labels", "at most %d labels per star level", MaxLabels)
		}
		s.Labels = labels
		byStars[s.Stars] = s
	}
	out := eventschema.RatingOptions{Stars: make([]eventschema.RatingStar, 0, 5)}
	for n := 1; n <= 5; n++ {
		s, ok := byStars[n]
		if !ok {
			s = eventschema.RatingStar{Stars: n, Labels: []string{}}
		}
		out.Stars = append(out.Stars, s)
	}
	return out, nil
}

// CheckRating checks a rating's labels against the options in force: a
// star level with labels takes at least one, and only its own.
func CheckRating(o eventschema.RatingOptions, stars int, labels []string) error {
	for _, s := range o.Stars {
		if s.Stars != stars || len(s.Labels) == 0 {
			continue
		}
		if len(labels) == 0 {
			return domain.Errorf(domain.Invalid, "rating.label_required", "labels", "a %d-star rating takes one of its labels: %s", stars, strings.Join(s.Labels, ", "))
		}
		for _, l := range labels {
			if !slices.Contains(s.Labels, l) {
				return domain.Errorf(domain.Invalid, "rating.labels", "labels", "%q is not a label of %d stars", l, stars)
			}
		}
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	return domain.Errorf(domain.Invalid, "rating.options", "options."+field, format, args...)
}
