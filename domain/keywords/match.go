package keywords

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"supportd/eventschema"
)

// caseless makes a pattern ignore case: customers do not type keywords
// the way admins spell them. A pattern may turn it off again with (?-i).
const caseless = "(?i)"

// compiled caches compiled patterns by source: every customer message is
// matched against every rule, and a pattern compiles to the same program
// every time. It forgets everything when it grows past maxCompiled, which
// only a tenant editing patterns endlessly reaches.
var compiled struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

const maxCompiled = 4096

func compile(pattern string) (*regexp.Regexp, error) {
	compiled.Lock()
	re, ok := compiled.m[pattern]
	compiled.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(caseless + pattern)
	if err != nil {
		return nil, err
	}
	compiled.Lock()
	if compiled.m == nil || len(compiled.m) >= maxCompiled {
		compiled.m = map[string]*regexp.Regexp{}
	}
	compiled.m[pattern] = re
	compiled.Unlock()
	return re, nil
}

// Applies reports whether the rule answers text in a conversation of
// channel: it is enabled, the channel is in its scope (an empty scope is
// every channel) and its pattern matches somewhere in the text.
func (r Rule) Applies(channel, text string) bool {
	if !r.Enabled || text == "" || (len(r.Channels) > 0 && !slices.Contains(r.Channels, channel)) {
		return false
	}
	re, err := compile(r.Pattern)
	return err == nil && re.MatchString(text)
}

// Match returns the rule that answers a customer's text: the first in the
// admins' order that applies. A rule that prompts the agent is passed over
// while no agent serves the conversation (agentServes false): there is
// nobody to prompt, and a later rule may still reply. One rule answers a
// message at most, so a customer never gets a burst of replies.
func (s State) Match(channel, text string, agentServes bool) (Rule, bool) {
	for _, r := range s.Ordered() {
		if r.Action == eventschema.KeywordPromptAgent && !agentServes {
			continue
		}
		if r.Applies(channel, text) {
			return r, true
		}
	}
	return Rule{}, false
}

// MaxAlarmsPerMessage bounds the alarms one message raises: a message
// quoting a whole list alarms once per word up to this many.
const MaxAlarmsPerMessage = 5

// SensitiveIn lists the sensitive words of side that text contains, in the
// list's order, at most MaxAlarmsPerMessage. A word is found anywhere in
// the text, ignoring case, also inside a longer word: lists hold phrases
// and words of languages written without spaces.
func (s State) SensitiveIn(side, text string) []string {
	list := s.Sensitive[side].Words
	if len(list) == 0 || text == "" {
		return nil
	}
	lower := strings.ToLower(text)
	var found []string
	for _, w := range list {
		if strings.Contains(lower, strings.ToLower(w)) {
			found = append(found, w)
			if len(found) == MaxAlarmsPerMessage {
				break
			}
		}
	}
	return found
}
