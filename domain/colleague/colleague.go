// Package colleague is the chat between two agents outside conversations
// (seed 002, "Conversation with colleagues"): an agent writes to any
// colleague, online, busy, away, invisible or offline; a message waits
// until the colleague's console takes it, so one written to an offline
// colleague is delivered when the colleague comes online.
//
// The chat of two agents is one aggregate, stream "colleaguechat-{tenant id}_{pair
// id}": one order for the history both see, and delivery marked as a
// position in it.
package colleague

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/conversation"
	"supportd/eventschema"
)

// pairNamespace derives pair IDs.
var pairNamespace = uuid.MustParse("4b6f1c7e-2d0a-4e59-9c3b-7a1f5e2d8c60")

// PairID names the chat of a and b, the same in both directions.
func PairID(a, b uuid.UUID) uuid.UUID {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	return uuid.NewSHA1(pairNamespace, append(a[:], b[:]...))
}

// Stream is the stream of a's and b's chat.
func Stream(tenantID, a, b uuid.UUID) string {
	return eventschema.ObjectStream("colleaguechat", tenantID, PairID(a, b))
}

// Message is what delivery needs to know of a sent message.
type Message struct {
	Seq  uint64
	From uuid.UUID
	// Digest sums what was sent, so a second send under the same ID is
	// told apart from a retry of the first.
	Digest [sha256.Size]byte
}

// digest sums a message's content.
func digest(to uuid.UUID, typ, text string, file *eventschema.FileRef) [sha256.Size]byte {
	f, _ := json.Marshal(file)
	h := sha256.New()
	for _, part := range [][]byte{to[:], []byte(typ), []byte(text), f} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return [sha256.Size]byte(h.Sum(nil))
}

// State is the chat of two agents.
type State struct {
	TenantID uuid.UUID
	// Seq is the number of messages so far, the last one's Seq.
	Seq      uint64
	Messages map[uuid.UUID]Message
	// Delivered is, per recipient, the Seq up to which its messages were
	// delivered.
	Delivered map[uuid.UUID]uint64
}

// Evolve folds one event into the state.
func Evolve(s State, event any) State {
	switch e := event.(type) {
	case eventschema.ColleagueMessageSent:
		m := make(map[uuid.UUID]Message, len(s.Messages)+1)
		for k, v := range s.Messages {
			m[k] = v
		}
		m[e.MessageID] = Message{Seq: e.Seq, From: e.FromAgentID, Digest: digest(e.ToAgentID, e.Type, e.Text, e.File)}
		s.TenantID, s.Seq, s.Messages = e.TenantID, e.Seq, m
	case eventschema.ColleagueMessagesDelivered:
		d := make(map[uuid.UUID]uint64, 2)
		for k, v := range s.Delivered {
			d[k] = v
		}
		d[e.ToAgentID] = max(d[e.ToAgentID], e.UpToSeq)
		s.Delivered = d
	}
	return s
}

// Recipient is what the tenant's roster says of the colleague written to.
type Recipient struct {
	Exists  bool
	Enabled bool
}

// Send is a message to a colleague.
type Send struct {
	TenantID  uuid.UUID
	MessageID uuid.UUID
	From, To  uuid.UUID
	Recipient Recipient
	Type      string
	Text      string
	File      *eventschema.FileRef
}

var textTypes = []string{"text", "emoji", "url"}
var fileTypes = []string{"image", "file"}

// SendMessage decides a message to a colleague of the same tenant. Any
// status will do: a message to an offline colleague waits for it. A
// disabled colleague cannot sign in to read it, so it is refused. Sending
// the same message again records nothing.
func SendMessage(s State, m Send) ([]any, error) {
	switch {
	case m.To == m.From:
		return nil, domain.Errorf(domain.Invalid, "colleague.self", "agent_id", "agents write to colleagues, not to themselves")
	case !m.Recipient.Exists:
		return nil, domain.Errorf(domain.NotFound, "colleague.not_found", "agent_id", "no such colleague")
	case !m.Recipient.Enabled:
		return nil, domain.Errorf(domain.Conflict, "colleague.disabled", "agent_id", "the colleague's account is disabled")
	case m.MessageID == uuid.Nil:
		return nil, domain.Errorf(domain.Invalid, "colleague.message_id", "message_id", "must be a UUID")
	}
	if utf8.RuneCountInString(m.Text) > conversation.MaxText {
		return nil, domain.Errorf(domain.Invalid, "colleague.text", "text", "must be at most %d characters", conversation.MaxText)
	}
	switch {
	case slices.Contains(textTypes, m.Type):
		if strings.TrimSpace(m.Text) == "" {
			return nil, domain.Errorf(domain.Invalid, "colleague.text", "text", "a %s message needs text", m.Type)
		}
		m.File = nil
	case slices.Contains(fileTypes, m.Type):
		if m.File == nil || m.File.URL == "" {
			return nil, domain.Errorf(domain.Invalid, "colleague.file", "file", "a %s message needs a file reference", m.Type)
		}
		if m.File.Size < 0 || m.File.Size > conversation.MaxFileSize {
			return nil, domain.Errorf(domain.Invalid, "colleague.file_size", "file.size", "files are at most 10 MB")
		}
	default:
		return nil, domain.Errorf(domain.Invalid, "colleague.type", "type", "must be text, emoji, url, image or file")
	}
	if old, dup := s.Messages[m.MessageID]; dup {
		if old.From == m.From && old.Digest == digest(m.To, m.Type, m.Text, m.File) {
			return nil, nil // a retry of the same message
		}
		return nil, domain.Errorf(domain.Conflict, "colleague.message_id_used", "message_id", "another message already has this ID")
	}
	return []any{eventschema.ColleagueMessageSent{TenantID: m.TenantID, MessageID: m.MessageID, FromAgentID: m.From,
		ToAgentID: m.To, Seq: s.Seq + 1, Type: m.Type, Text: m.Text, File: m.File}}, nil
}

// Deliver decides that recipient's console received the messages from
// colleague up to the message upTo (the nil UUID: every one so far).
// Only the recipient marks delivery, and marking what was delivered
// already records nothing.
func Deliver(s State, recipient, colleague, upTo uuid.UUID) ([]any, error) {
	var until uint64
	if upTo != uuid.Nil {
		m, ok := s.Messages[upTo]
		if !ok || m.From != colleague {
			return nil, domain.Errorf(domain.NotFound, "colleague.message_not_found", "up_to", "no such message from this colleague")
		}
		until = m.Seq
	} else {
		for id, m := range s.Messages {
			if m.From == colleague && m.Seq > until {
				until, upTo = m.Seq, id
			}
		}
	}
	done, count := s.Delivered[recipient], 0
	for _, m := range s.Messages {
		if m.From == colleague && m.Seq > done && m.Seq <= until {
			count++
		}
	}
	if count == 0 {
		return nil, nil
	}
	return []any{eventschema.ColleagueMessagesDelivered{TenantID: s.TenantID, FromAgentID: colleague, ToAgentID: recipient,
		UpToMessageID: upTo, UpToSeq: until, Count: count}}, nil
}
