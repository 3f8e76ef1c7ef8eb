package colleague_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"supportd/domain/colleague"
	"supportd/domain/domaintest"
	"supportd/eventschema"
)

func id(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("0190f3b0-0000-7000-8000-%012d", n)) }

var (
	tenant = id(1)
	ann    = id(11)
	bob    = id(12)
	m1     = id(51)
	m2     = id(52)
	m3     = id(53)
	m4     = id(54)
	here   = colleague.Recipient{Exists: true, Enabled: true}
)

func sent(msg, from, to uuid.UUID, seq uint64, text string) eventschema.ColleagueMessageSent {
	return eventschema.ColleagueMessageSent{TenantID: tenant, MessageID: msg, FromAgentID: from, ToAgentID: to, Seq: seq, Type: "text", Text: text}
}

func delivered(from, to, upTo uuid.UUID, seq uint64, count int) eventschema.ColleagueMessagesDelivered {
	return eventschema.ColleagueMessagesDelivered{TenantID: tenant, FromAgentID: from, ToAgentID: to, UpToMessageID: upTo, UpToSeq: seq, Count: count}
}

func given(events ...any) colleague.State { return domaintest.Given(colleague.Evolve, events...) }

type tcase struct {
	name   string
	given  []any
	decide func(colleague.State) ([]any, error)
	want   []any
	code   string
}

func run(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		domaintest.Case[colleague.State]{Name: tc.name, Given: tc.given, When: tc.decide, Then: tc.want, Code: tc.code, Field: ""}.Run(t, colleague.Evolve)
	}
}

func TestPair(t *testing.T) {
	if colleague.PairID(ann, bob) != colleague.PairID(bob, ann) || colleague.Stream(tenant, ann, bob) != colleague.Stream(tenant, bob, ann) {
		t.Error("a pair's chat depends on who writes")
	}
	if colleague.PairID(ann, bob) == colleague.PairID(ann, id(13)) {
		t.Error("two pairs share a chat")
	}
	if want := "colleaguechat-" + tenant.String() + "_" + colleague.PairID(ann, bob).String(); colleague.Stream(tenant, ann, bob) != want {
		t.Error(colleague.Stream(tenant, ann, bob))
	}
}

func TestSend(t *testing.T) {
	send := func(m colleague.Send) func(colleague.State) ([]any, error) {
		return func(s colleague.State) ([]any, error) { return colleague.SendMessage(s, m) }
	}
	text := colleague.Send{TenantID: tenant, MessageID: m1, From: ann, To: bob, Recipient: here, Type: "text", Text: "lunch?"}
	with := func(edit func(*colleague.Send)) colleague.Send {
		m := text
		edit(&m)
		return m
	}
	file := &eventschema.FileRef{URL: "https://files.example/a.pdf", Name: "a.pdf", MIME: "application/pdf", Size: 10 << 20}
	run(t, []tcase{
		{"the first message is 1", nil, send(text), []any{sent(m1, ann, bob, 1, "lunch?")}, ""},
		{"the answer is 2, the other way", []any{sent(m1, ann, bob, 1, "lunch?")},
			send(with(func(m *colleague.Send) { m.MessageID, m.From, m.To, m.Text = m2, bob, ann, "yes" })),
			[]any{sent(m2, bob, ann, 2, "yes")}, ""},
		{"the same message again records nothing", []any{sent(m1, ann, bob, 1, "lunch?")}, send(text), nil, ""},
		{"another text under a used ID is refused, not dropped", []any{sent(m1, ann, bob, 1, "lunch?")},
			send(with(func(m *colleague.Send) { m.Text = "dinner?" })), nil, "colleague.message_id_used"},
		{"the other one's message under a used ID is refused", []any{sent(m1, ann, bob, 1, "lunch?")},
			send(with(func(m *colleague.Send) { m.From, m.To = bob, ann })), nil, "colleague.message_id_used"},
		{"another type under a used ID is refused", []any{sent(m1, ann, bob, 1, "lunch?")},
			send(with(func(m *colleague.Send) { m.Type = "url" })), nil, "colleague.message_id_used"},
		{"to an offline colleague too: the roster knows nothing of status", nil, send(text), []any{sent(m1, ann, bob, 1, "lunch?")}, ""},
		{"a file of 10 MB", nil, send(with(func(m *colleague.Send) { m.Type, m.Text, m.File = "file", "", file })),
			[]any{eventschema.ColleagueMessageSent{TenantID: tenant, MessageID: m1, FromAgentID: ann, ToAgentID: bob, Seq: 1, Type: "file", File: file}}, ""},
		{"a file over 10 MB", nil, send(with(func(m *colleague.Send) {
			m.Type, m.File = "image", &eventschema.FileRef{URL: "https://files.example/a.png", Size: 10<<20 + 1}
		})), nil, "colleague.file_size"},
		{"a file without a reference", nil, send(with(func(m *colleague.Send) { m.Type = "image" })), nil, "colleague.file"},
		{"an empty text", nil, send(with(func(m *colleague.Send) { m.Text = "  " })), nil, "colleague.text"},
		{"a long text", nil, send(with(func(m *colleague.Send) { m.Text = strings.Repeat("x", 5001) })), nil, "colleague.text"},
		{"an unknown type", nil, send(with(func(m *colleague.Send) { m.Type = "location" })), nil, "colleague.type"},
		{"to oneself", nil, send(with(func(m *colleague.Send) { m.To = ann })), nil, "colleague.self"},
		{"to nobody of the tenant", nil, send(with(func(m *colleague.Send) { m.Recipient = colleague.Recipient{} })), nil, "colleague.not_found"},
		{"to a disabled colleague", nil, send(with(func(m *colleague.Send) { m.Recipient.Enabled = false })), nil, "colleague.disabled"},
	})
}

func TestDeliver(t *testing.T) {
	chat := []any{sent(m1, ann, bob, 1, "a"), sent(m2, bob, ann, 2, "b"), sent(m3, ann, bob, 3, "c"), sent(m4, ann, bob, 4, "d")}
	deliver := func(recipient, from, upTo uuid.UUID) func(colleague.State) ([]any, error) {
		return func(s colleague.State) ([]any, error) { return colleague.Deliver(s, recipient, from, upTo) }
	}
	run(t, []tcase{
		{"everything so far", chat, deliver(bob, ann, uuid.Nil), []any{delivered(ann, bob, m4, 4, 3)}, ""},
		{"up to a message", chat, deliver(bob, ann, m3), []any{delivered(ann, bob, m3, 3, 2)}, ""},
		{"the rest later", append(chat, delivered(ann, bob, m3, 3, 2)), deliver(bob, ann, uuid.Nil), []any{delivered(ann, bob, m4, 4, 1)}, ""},
		{"nothing new records nothing", append(chat, delivered(ann, bob, m4, 4, 3)), deliver(bob, ann, uuid.Nil), nil, ""},
		{"an earlier message than delivered records nothing", append(chat, delivered(ann, bob, m4, 4, 3)), deliver(bob, ann, m1), nil, ""},
		{"the other direction on its own", append(chat, delivered(ann, bob, m4, 4, 3)), deliver(ann, bob, uuid.Nil), []any{delivered(bob, ann, m2, 2, 1)}, ""},
		{"no messages at all", nil, deliver(bob, ann, uuid.Nil), nil, ""},
		{"one's own message is not delivered to oneself", chat, deliver(bob, ann, m2), nil, "colleague.message_not_found"},
		{"an unknown message", chat, deliver(bob, ann, id(99)), nil, "colleague.message_not_found"},
	})
}
