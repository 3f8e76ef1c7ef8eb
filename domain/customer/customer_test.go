package customer_test

import (
	"fmt"
	"maps"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/customer"
	"supportd/domain/profilefields"
	"supportd/domain/tags"
	"supportd/eventschema"
)

func id(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("0190f3b0-0000-7000-8000-%012x", n)) }

var (
	tenant  = id(1)
	other   = id(2)
	cust    = id(10)
	agent   = id(20)
	admin   = id(21)
	request = id(30)
	tier    = id(40)
	born    = id(41)
	tagVIP  = id(50)
	tagGone = id(51)
)

const (
	conv   = eventschema.ProfileFromConversation
	byHand = eventschema.ProfileFromAgent
	imp    = eventschema.ProfileFromImport
)

// form is the tenant's profile form: the system fields with phone made
// read-only and QQ switched off, a select field and a date field.
func form() profilefields.State {
	s := profilefields.State{TenantID: tenant}
	for _, e := range []any{
		eventschema.ProfileFieldAdded{TenantID: tenant, FieldID: tier.String(), Name: "Tier", Type: profilefields.Select, Options: []string{"Basic", "Pro"}, Enabled: true},
		eventschema.ProfileFieldAdded{TenantID: tenant, FieldID: born.String(), Name: "Birthday", Type: profilefields.Date, Options: []string{}, Enabled: true},
		eventschema.ProfileFieldChanged{TenantID: tenant, FieldID: "phone", System: true, Name: "Phone", Type: profilefields.Text, Options: []string{}, Enabled: true, ReadOnly: true},
		eventschema.ProfileFieldChanged{TenantID: tenant, FieldID: "qq", System: true, Name: "QQ", Type: profilefields.Text, Options: []string{}, Enabled: false},
	} {
		s = profilefields.Evolve(s, e)
	}
	return s
}

func fold(events ...any) customer.State {
	var s customer.State
	for _, e := range events {
		s = customer.Evolve(s, e)
	}
	return s
}

func saved(source string, fields map[string]string) eventschema.CustomerProfileSaved {
	return eventschema.CustomerProfileSaved{TenantID: tenant, CustomerID: cust, Source: source, Fields: fields}
}

func check(t *testing.T, got []any, err error, want []any, kind domain.Kind, code string) {
	t.Helper()
	if kind != 0 {
		de, ok := err.(*domain.Error)
		if !ok || de.Kind != kind || (code != "" && de.Code != code) {
			t.Fatalf("got %v (%#v), want %v %s", got, err, kind, code)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

type m = map[string]string

func TestID(t *testing.T) {
	a := customer.ID(tenant, "whatsapp", "+49 170 1234567")
	if a != customer.ID(tenant, "whatsapp", "+49 170 1234567") {
		t.Error("the same external ID must give the same customer")
	}
	for _, b := range []uuid.UUID{customer.ID(other, "whatsapp", "+49 170 1234567"), customer.ID(tenant, "line", "+49 170 1234567"),
		customer.ID(tenant, "whatsapp\x00x", "")} {
		if a == b {
			t.Error("another tenant or channel must give another customer")
		}
	}
	if a.Version() != 5 {
		t.Errorf("version %d", a.Version())
	}
}

func TestSaveProfile(t *testing.T) {
	fresh := customer.State{}
	known := fold(saved(conv, m{"nickname": "webim-visitor-1", "phone": "+49 1"}))
	edited := fold(saved(conv, m{"nickname": "webim-visitor-1"}), saved(byHand, m{"nickname": "Li Wei", "company": "Acme"}))
	cleared := fold(saved(conv, m{"nickname": "webim-visitor-1"}), saved(byHand, m{"nickname": "Li Wei"}), saved(byHand, m{"nickname": ""}))
	foreign := fold(eventschema.CustomerProfileSaved{TenantID: other, CustomerID: cust, Source: conv, Fields: m{}})
	f := form()
	cases := []struct {
		name   string
		s      customer.State
		source string
		values map[string]string
		want   []any
		kind   domain.Kind
		code   string
	}{
		// Conversation: the automatic save.
		{"first conversation creates the customer", fresh, conv, m{"nickname": " Li ", "customer_id": "webim-visitor-1"},
			[]any{saved(conv, m{"nickname": "Li", "customer_id": "webim-visitor-1"})}, 0, ""},
		{"first conversation without info still creates", fresh, conv, nil, []any{saved(conv, m{})}, 0, ""},
		{"conversation drops what it cannot save", fresh, conv,
			m{"nickname": "Li", "qq": "123", "nope": "x", tier.String(): "Gold", born.String(): "yesterday", "email": "not-mail"},
			[]any{saved(conv, m{"nickname": "Li"})}, 0, ""},
		{"conversation may set read-only fields", known, conv, m{"phone": "+49 2"}, []any{saved(conv, m{"phone": "+49 2"})}, 0, ""},
		{"conversation overwrites conversation info", known, conv, m{"nickname": "webim-visitor-2"},
			[]any{saved(conv, m{"nickname": "webim-visitor-2"})}, 0, ""},
		{"conversation never overwrites an agent's edit", edited, conv, m{"nickname": "webim-visitor-2", "company": "Other", "email": "li@acme.example"},
			[]any{saved(conv, m{"email": "li@acme.example"})}, 0, ""},
		{"conversation fills a field the agent cleared", cleared, conv, m{"nickname": "webim-visitor-2"},
			[]any{saved(conv, m{"nickname": "webim-visitor-2"})}, 0, ""},
		{"conversation's empty values clear nothing", known, conv, m{"phone": ""}, nil, 0, ""},
		{"same info again changes nothing", known, conv, m{"nickname": "webim-visitor-1"}, nil, 0, ""},
		{"another tenant's customer", foreign, conv, m{"nickname": "x"}, nil, domain.NotFound, "customer.not_found"},

		// Agent edits.
		{"agent edits and clears", known, byHand, m{"real_name": "Li Wei", "nickname": "", tier.String(): "Pro", born.String(): "1990-02-01"},
			[]any{saved(byHand, m{"real_name": "Li Wei", "nickname": "", tier.String(): "Pro", born.String(): "1990-02-01"})}, 0, ""},
		{"agent takes over a conversation value", known, byHand, m{"nickname": "webim-visitor-1"},
			[]any{saved(byHand, m{"nickname": "webim-visitor-1"})}, 0, ""},
		{"agent's same value again", edited, byHand, m{"nickname": "Li Wei"}, nil, 0, ""},
		{"agent on a missing customer", fresh, byHand, m{"nickname": "x"}, nil, domain.NotFound, "customer.not_found"},
		{"agent on another tenant's customer", foreign, byHand, m{"nickname": "x"}, nil, domain.NotFound, "customer.not_found"},
		{"read-only field", known, byHand, m{"phone": "+49 3"}, nil, domain.Forbidden, "customer.profile_field_read_only"},
		{"customer ID", known, byHand, m{"customer_id": "x"}, nil, domain.Forbidden, "customer.profile_field_read_only"},
		{"unknown field", known, byHand, m{"shoe_size": "42"}, nil, domain.Invalid, "customer.profile_field_unknown"},
		{"disabled field", known, byHand, m{"qq": "1"}, nil, domain.Invalid, "customer.profile_field_disabled"},
		{"select option", known, byHand, m{tier.String(): "Gold"}, nil, domain.Invalid, "customer.profile_value"},
		{"date", known, byHand, m{born.String(): "01/02/1990"}, nil, domain.Invalid, "customer.profile_value"},
		{"e-mail", known, byHand, m{"email": "li at acme"}, nil, domain.Invalid, "customer.profile_value"},
		{"one line", known, byHand, m{"company": "A\nB"}, nil, domain.Invalid, "customer.profile_value"},
		{"multiline", known, byHand, m{"description": "A\nB"}, []any{saved(byHand, m{"description": "A\nB"})}, 0, ""},

		// Imports.
		{"import creates and may set read-only fields", fresh, imp, m{"phone": "+49 4"}, []any{saved(imp, m{"phone": "+49 4"})}, 0, ""},
		{"import may not set the customer ID", fresh, imp, m{"customer_id": "x"}, nil, domain.Forbidden, "customer.profile_field_read_only"},
		{"unknown source", known, "crm", m{}, nil, domain.Invalid, "customer.profile_source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := customer.SaveProfile(tc.s, f, tenant, cust, tc.source, tc.values)
			check(t, got, err, tc.want, tc.kind, tc.code)
		})
	}
}

func TestEvolveProfile(t *testing.T) {
	s := fold(saved(conv, m{"nickname": "v1", "phone": "1"}), saved(byHand, m{"nickname": "Li"}), saved(byHand, m{"phone": ""}))
	if !reflect.DeepEqual(s.Profile, map[string]string{"nickname": "Li"}) || !s.Edited["nickname"] || s.Edited["phone"] {
		t.Errorf("profile %v, edited %v", s.Profile, s.Edited)
	}
	if !s.Of(tenant) || s.Of(other) {
		t.Error("tenant check")
	}
}

// TestEvolveCopiesOnWrite: folding more events onto a state leaves it as
// it was, so the command handler may keep it and fold on from it.
func TestEvolveCopiesOnWrite(t *testing.T) {
	events := []any{
		saved(conv, m{"nickname": "v1", "phone": "1"}),
		eventschema.CustomerTagged{TenantID: tenant, CustomerID: cust, TagID: tagVIP},
		eventschema.BlacklistRequested{TenantID: tenant, CustomerID: cust, RequestID: request, Reason: "spam", RequestedBy: agent},
	}
	later := []any{
		saved(byHand, m{"nickname": "Li", "phone": ""}),
		eventschema.CustomerUntagged{TenantID: tenant, CustomerID: cust, TagID: tagVIP},
		eventschema.CustomerTagged{TenantID: tenant, CustomerID: cust, TagID: tagGone},
		eventschema.BlacklistRequestRejected{TenantID: tenant, CustomerID: cust, RequestID: request, RejectedBy: admin},
		eventschema.CustomerBlacklisted{TenantID: tenant, CustomerID: cust, Reason: "spam", By: admin, RequestID: request},
	}
	kept := fold(events...)
	s := kept
	for _, e := range later {
		s = customer.Evolve(s, e)
	}
	if want := fold(events...); !reflect.DeepEqual(kept, want) {
		t.Errorf("folding on changed the state kept:\n%+v\nwant\n%+v", kept, want)
	}
}

func TestTagsAndVIP(t *testing.T) {
	catalogue := tags.EvolveCustomer(tags.Customer{TenantID: tenant},
		eventschema.CustomerTagAdded{TenantID: tenant, TagID: tagVIP, Name: "VIP", Color: "#ff9900"})
	base := []any{saved(conv, m{}), eventschema.CustomerTagged{TenantID: tenant, CustomerID: cust, TagID: tagGone}}
	s := fold(base...)
	cases := []struct {
		name   string
		decide func() ([]any, error)
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"tag", func() ([]any, error) { return customer.Tag(s, catalogue, tenant, cust, tagVIP) },
			[]any{eventschema.CustomerTagged{TenantID: tenant, CustomerID: cust, TagID: tagVIP}}, 0, ""},
		{"tag twice", func() ([]any, error) {
			return customer.Tag(fold(append(base, eventschema.CustomerTagged{TenantID: tenant, CustomerID: cust, TagID: tagVIP})...), catalogue, tenant, cust, tagVIP)
		}, nil, 0, ""},
		{"tag not in the catalogue", func() ([]any, error) { return customer.Tag(s, catalogue, tenant, cust, id(99)) }, nil, domain.Invalid, "customer.tag_unknown"},
		{"tag another tenant's customer", func() ([]any, error) { return customer.Tag(s, catalogue, other, cust, tagVIP) }, nil, domain.NotFound, "customer.not_found"},
		{"tag a missing customer", func() ([]any, error) { return customer.Tag(customer.State{}, catalogue, tenant, cust, tagVIP) }, nil, domain.NotFound, "customer.not_found"},
		{"untag a tag deleted from the catalogue", func() ([]any, error) { return customer.Untag(s, tenant, cust, tagGone) },
			[]any{eventschema.CustomerUntagged{TenantID: tenant, CustomerID: cust, TagID: tagGone}}, 0, ""},
		{"untag a tag it lacks", func() ([]any, error) { return customer.Untag(s, tenant, cust, tagVIP) }, nil, 0, ""},
		{"untag another tenant's customer", func() ([]any, error) { return customer.Untag(s, other, cust, tagGone) }, nil, domain.NotFound, "customer.not_found"},
		{"VIP", func() ([]any, error) { return customer.SetVIP(s, tenant, cust, true) },
			[]any{eventschema.CustomerVIPSet{TenantID: tenant, CustomerID: cust, VIP: true}}, 0, ""},
		{"VIP unchanged", func() ([]any, error) { return customer.SetVIP(s, tenant, cust, false) }, nil, 0, ""},
		{"VIP of another tenant's customer", func() ([]any, error) { return customer.SetVIP(s, other, cust, true) }, nil, domain.NotFound, "customer.not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide()
			check(t, got, err, tc.want, tc.kind, tc.code)
		})
	}
}

func TestBlacklist(t *testing.T) {
	s := fold(saved(conv, m{}))
	req := eventschema.BlacklistRequested{TenantID: tenant, CustomerID: cust, RequestID: request, Reason: "rude", RequestedBy: agent}
	requested := fold(saved(conv, m{}), req)
	blacklisted := fold(saved(conv, m{}), eventschema.CustomerBlacklisted{TenantID: tenant, CustomerID: cust, Reason: "rude", By: agent})
	rejected := fold(saved(conv, m{}), req, eventschema.BlacklistRequestRejected{TenantID: tenant, CustomerID: cust, RequestID: request, RejectedBy: admin})
	free := customer.Blacklister{By: agent}
	gated := customer.Blacklister{By: agent, NeedsApproval: true}
	boss := customer.Blacklister{By: admin, Admin: true, NeedsApproval: true}
	bl := func(reason string, by, req, approver uuid.UUID) []any {
		return []any{eventschema.CustomerBlacklisted{TenantID: tenant, CustomerID: cust, Reason: reason, By: by, RequestID: req, ApprovedBy: approver}}
	}
	cases := []struct {
		name   string
		decide func() ([]any, error)
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"switch off: at once", func() ([]any, error) { return customer.Blacklist(s, tenant, cust, request, free, " rude ") }, bl("rude", agent, uuid.Nil, uuid.Nil), 0, ""},
		{"switch on: a request", func() ([]any, error) { return customer.Blacklist(s, tenant, cust, request, gated, "rude") },
			[]any{eventschema.BlacklistRequested{TenantID: tenant, CustomerID: cust, RequestID: request, Reason: "rude", RequestedBy: agent}}, 0, ""},
		{"switch on, admin: at once", func() ([]any, error) { return customer.Blacklist(s, tenant, cust, request, boss, "rude") }, bl("rude", admin, uuid.Nil, uuid.Nil), 0, ""},
		{"admin approves the pending request by blacklisting", func() ([]any, error) { return customer.Blacklist(requested, tenant, cust, id(31), boss, "spam") },
			bl("spam", admin, request, admin), 0, ""},
		{"second request while one is pending", func() ([]any, error) { return customer.Blacklist(requested, tenant, cust, id(31), gated, "rude") },
			nil, domain.Conflict, "blacklist.request_pending"},
		{"a new request after a rejection", func() ([]any, error) { return customer.Blacklist(rejected, tenant, cust, id(31), gated, "again") },
			[]any{eventschema.BlacklistRequested{TenantID: tenant, CustomerID: cust, RequestID: id(31), Reason: "again", RequestedBy: agent}}, 0, ""},
		{"reason required", func() ([]any, error) { return customer.Blacklist(s, tenant, cust, request, free, "  ") }, nil, domain.Invalid, "blacklist.reason"},
		{"already blacklisted", func() ([]any, error) { return customer.Blacklist(blacklisted, tenant, cust, request, free, "rude") }, nil, domain.Conflict, "customer.blacklisted"},
		{"another tenant's customer", func() ([]any, error) { return customer.Blacklist(s, other, cust, request, free, "rude") }, nil, domain.NotFound, "customer.not_found"},
		{"approve", func() ([]any, error) { return customer.Approve(requested, tenant, cust, request, admin) }, bl("rude", agent, request, admin), 0, ""},
		{"approve unknown", func() ([]any, error) { return customer.Approve(requested, tenant, cust, id(31), admin) }, nil, domain.NotFound, "blacklist_request.not_found"},
		{"approve a rejected one", func() ([]any, error) { return customer.Approve(rejected, tenant, cust, request, admin) }, nil, domain.Conflict, "blacklist_request.decided"},
		{"reject", func() ([]any, error) { return customer.Reject(requested, tenant, cust, request, admin, "not enough") },
			[]any{eventschema.BlacklistRequestRejected{TenantID: tenant, CustomerID: cust, RequestID: request, RejectedBy: admin, Remark: "not enough", RequestedBy: &agent}}, 0, ""},
		{"reject twice", func() ([]any, error) { return customer.Reject(rejected, tenant, cust, request, admin, "") }, nil, domain.Conflict, "blacklist_request.decided"},
		{"reject for another tenant", func() ([]any, error) { return customer.Reject(requested, other, cust, request, admin, "") }, nil, domain.NotFound, "customer.not_found"},
		{"unblacklist", func() ([]any, error) { return customer.Unblacklist(blacklisted, tenant, cust, admin) },
			[]any{eventschema.CustomerUnblacklisted{TenantID: tenant, CustomerID: cust, By: admin}}, 0, ""},
		{"unblacklist one not on it", func() ([]any, error) { return customer.Unblacklist(s, tenant, cust, admin) }, nil, domain.Conflict, "customer.not_blacklisted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide()
			check(t, got, err, tc.want, tc.kind, tc.code)
		})
	}
}

func TestIsBlacklisted(t *testing.T) {
	s := fold(saved(conv, m{}))
	blacklisted := eventschema.CustomerBlacklisted{TenantID: tenant, CustomerID: cust, Reason: "rude", By: agent}
	on := fold(saved(conv, m{}), blacklisted)
	off := fold(saved(conv, m{}), blacklisted, eventschema.CustomerUnblacklisted{TenantID: tenant, CustomerID: cust, By: admin})
	approved := fold(saved(conv, m{}),
		eventschema.BlacklistRequested{TenantID: tenant, CustomerID: cust, RequestID: request, Reason: "rude", RequestedBy: agent},
		eventschema.CustomerBlacklisted{TenantID: tenant, CustomerID: cust, Reason: "rude", By: agent, RequestID: request, ApprovedBy: admin})
	for _, tc := range []struct {
		name   string
		s      customer.State
		tenant uuid.UUID
		want   bool
	}{
		{"unknown customer", customer.State{}, tenant, false},
		{"known, not blacklisted", s, tenant, false},
		{"blacklisted", on, tenant, true},
		{"blacklisted, asked by another tenant", on, other, false},
		{"removed again", off, tenant, false},
		{"approved request", approved, tenant, true},
	} {
		if got := tc.s.IsBlacklisted(tc.tenant); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
	if approved.Pending != uuid.Nil || approved.Requests[request].Status != customer.Approved {
		t.Errorf("approved request %v", approved.Requests)
	}
	if de, ok := customer.ErrBlacklisted().(*domain.Error); !ok || de.Kind != domain.Forbidden || de.Code != "customer.blacklisted" {
		t.Errorf("refusal %v", customer.ErrBlacklisted())
	}
}

func TestStartValues(t *testing.T) {
	cases := []struct {
		name    string
		profile map[string]string
		cname   string
		want    map[string]string
	}{
		{"no profile: the name is the nickname", nil, " Lu ", map[string]string{"nickname": "Lu"}},
		{"the profile's nickname wins", map[string]string{"nickname": "Lulu", "phone": "1"}, "Lu", map[string]string{"nickname": "Lulu", "phone": "1"}},
		{"a blank name adds nothing", map[string]string{"phone": "1"}, "  ", map[string]string{"phone": "1"}},
		{"nothing at all still saves", nil, "", map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := customer.StartValues(tc.profile, tc.cname); !maps.Equal(got, tc.want) {
				t.Errorf("StartValues = %v, want %v", got, tc.want)
			}
		})
	}
}
