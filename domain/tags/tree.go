// Package tags holds the tenant's tag catalogues: the conversation-tag tree
// agents annotate conversations with, and the flat list of customer tags.
// Each is one aggregate per tenant, so that its limits hold under
// concurrency with one expected version.
package tags

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// The limits of the conversation-tag tree, from the product manual: up to
// 10 levels and 1,000 tags, of which at most 20 level-1 tags.
const (
	MaxLevels  = 10
	MaxTags    = 1000
	MaxRoots   = 20
	MaxNameLen = 50
)

// TreeStream returns the stream of tenant's conversation tags.
func TreeStream(tenantID uuid.UUID) string { return "conversationtags-" + tenantID.String() }

// Tag is one conversation tag. A nil Parent makes it a root (level 1).
type Tag struct {
	ID       uuid.UUID
	Parent   uuid.UUID
	Name     string
	Position int
	Enabled  bool
}

// Tree is the state of a tenant's conversation tags. Its maps are owned by
// the fold that builds it: Evolve updates them in place (a tree of 1,000
// tags is folded on every command), and decisions only read them.
type Tree struct {
	TenantID uuid.UUID
	Tags     map[uuid.UUID]Tag
	// Children lists each parent's children in sibling order; uuid.Nil
	// holds the roots.
	Children map[uuid.UUID][]uuid.UUID
}

// EvolveTree folds one event into the tree.
func EvolveTree(s Tree, event any) Tree {
	if s.Tags == nil {
		s.Tags, s.Children = map[uuid.UUID]Tag{}, map[uuid.UUID][]uuid.UUID{}
	}
	switch e := event.(type) {
	case eventschema.ConversationTagAdded:
		s.TenantID = e.TenantID
		s.Tags[e.TagID] = Tag{ID: e.TagID, Parent: e.ParentID, Name: e.Name, Position: e.Position, Enabled: true}
		s.Children[e.ParentID] = insertAt(s.Children[e.ParentID], e.TagID, e.Position)
	case eventschema.ConversationTagRenamed:
		t := s.Tags[e.TagID]
		t.Name = e.To
		s.Tags[e.TagID] = t
	case eventschema.ConversationTagMoved:
		t := s.Tags[e.TagID]
		s.Children[e.FromParentID] = remove(s.Children[e.FromParentID], e.TagID)
		t.Parent, t.Position = e.ToParentID, e.Position
		s.Tags[e.TagID] = t
		s.Children[e.ToParentID] = insertAt(s.Children[e.ToParentID], e.TagID, e.Position)
	case eventschema.ConversationTagEnabled:
		t := s.Tags[e.TagID]
		t.Enabled = true
		s.Tags[e.TagID] = t
	case eventschema.ConversationTagDisabled:
		t := s.Tags[e.TagID]
		t.Enabled = false
		s.Tags[e.TagID] = t
	case eventschema.ConversationTagDeleted:
		top := s.Tags[e.TagID]
		s.Children[top.Parent] = remove(s.Children[top.Parent], e.TagID)
		for _, id := range e.Deleted {
			delete(s.Tags, id)
			delete(s.Children, id)
		}
	case eventschema.ConversationTagsReordered:
		s.Children[e.ParentID] = slices.Clone(e.Order)
		for i, id := range e.Order {
			t := s.Tags[id]
			t.Position = i
			s.Tags[id] = t
		}
	}
	return s
}

func insertAt(list []uuid.UUID, id uuid.UUID, pos int) []uuid.UUID {
	pos = min(max(pos, 0), len(list))
	return slices.Insert(slices.Clone(list), pos, id)
}

func remove(list []uuid.UUID, id uuid.UUID) []uuid.UUID {
	return slices.DeleteFunc(slices.Clone(list), func(x uuid.UUID) bool { return x == id })
}

// Level is a tag's level: 1 for a root; 0 for uuid.Nil, the place of the
// roots.
func (s Tree) Level(id uuid.UUID) int {
	n := 0
	for id != uuid.Nil {
		n++
		id = s.Tags[id].Parent
	}
	return n
}

// height is the number of levels of id's subtree, id included.
func (s Tree) height(id uuid.UUID) int {
	h := 0
	for _, c := range s.Children[id] {
		h = max(h, s.height(c))
	}
	return h + 1
}

// Subtree lists id and every tag below it, parents before children.
func (s Tree) Subtree(id uuid.UUID) []uuid.UUID {
	out := []uuid.UUID{id}
	for _, c := range s.Children[id] {
		out = append(out, s.Subtree(c)...)
	}
	return out
}

func (s Tree) find(id uuid.UUID) (Tag, error) {
	t, ok := s.Tags[id]
	if !ok {
		return Tag{}, domain.Errorf(domain.NotFound, "tag.not_found", "tag_id", "conversation tag %s not found", id)
	}
	return t, nil
}

// checkName normalises a tag name and checks that no sibling under parent
// (other than self) has it, case-insensitively.
func (s Tree) checkName(parent, self uuid.UUID, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen {
		return "", domain.Errorf(domain.Invalid, "tag.name", "name", "must be 1 to %d characters", MaxNameLen)
	}
	for _, sib := range s.Children[parent] {
		if sib != self && strings.EqualFold(s.Tags[sib].Name, name) {
			return "", domain.Errorf(domain.Conflict, "tag.name_taken", "name", "a sibling tag is already called %q", s.Tags[sib].Name)
		}
	}
	return name, nil
}

func (s Tree) checkParent(parent uuid.UUID) error {
	if parent == uuid.Nil {
		return nil
	}
	if _, ok := s.Tags[parent]; !ok {
		return domain.Errorf(domain.Invalid, "tag.parent", "parent_id", "parent tag %s not found", parent)
	}
	return nil
}

// rootLimit refuses a new root when there are MaxRoots already.
func (s Tree) rootLimit(parent uuid.UUID) error {
	if parent == uuid.Nil && len(s.Children[uuid.Nil]) >= MaxRoots {
		return domain.Errorf(domain.Invalid, "tag.root_limit", "parent_id", "at most %d level-1 tags", MaxRoots)
	}
	return nil
}

// Add decides a new tag named name under parent (uuid.Nil: a root), last
// among its siblings.
func Add(s Tree, id, parent uuid.UUID, name string) ([]any, error) {
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "tag.id", "tag_id", "must be a UUID")
	}
	if _, dup := s.Tags[id]; dup {
		return nil, domain.Errorf(domain.Conflict, "tag.exists", "tag_id", "tag %s already exists", id)
	}
	if err := s.checkParent(parent); err != nil {
		return nil, err
	}
	if s.Level(parent)+1 > MaxLevels {
		return nil, domain.Errorf(domain.Invalid, "tag.level_limit", "parent_id", "tags have at most %d levels", MaxLevels)
	}
	if len(s.Tags) >= MaxTags {
		return nil, domain.Errorf(domain.Invalid, "tag.count_limit", "", "a tenant has at most %d conversation tags", MaxTags)
	}
	if err := s.rootLimit(parent); err != nil {
		return nil, err
	}
	name, err := s.checkName(parent, uuid.Nil, name)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.ConversationTagAdded{TenantID: s.TenantID, TagID: id, ParentID: parent,
		Name: name, Position: len(s.Children[parent])}}, nil
}

// Rename decides a tag's new name; the same name decides nothing.
func Rename(s Tree, id uuid.UUID, name string) ([]any, error) {
	t, err := s.find(id)
	if err != nil {
		return nil, err
	}
	name, err = s.checkName(t.Parent, id, name)
	if err != nil || name == t.Name {
		return nil, err
	}
	return []any{eventschema.ConversationTagRenamed{TenantID: s.TenantID, TagID: id, From: t.Name, To: name}}, nil
}

// Move decides that a tag, with its subtree, hangs under parent from now
// on, last among its new siblings. It may not move below itself, and the
// deepest tag of its subtree must stay within MaxLevels.
func Move(s Tree, id, parent uuid.UUID) ([]any, error) {
	t, err := s.find(id)
	if err != nil {
		return nil, err
	}
	if err := s.checkParent(parent); err != nil {
		return nil, err
	}
	if t.Parent == parent {
		return nil, nil
	}
	for p := parent; p != uuid.Nil; p = s.Tags[p].Parent {
		if p == id {
			return nil, domain.Errorf(domain.Invalid, "tag.cycle", "parent_id", "a tag cannot move below itself")
		}
	}
	if s.Level(parent)+s.height(id) > MaxLevels {
		return nil, domain.Errorf(domain.Invalid, "tag.level_limit", "parent_id", "tags have at most %d levels", MaxLevels)
	}
	if err := s.rootLimit(parent); err != nil {
		return nil, err
	}
	if _, err := s.checkName(parent, id, t.Name); err != nil {
		return nil, err
	}
	return []any{eventschema.ConversationTagMoved{TenantID: s.TenantID, TagID: id, FromParentID: t.Parent,
		ToParentID: parent, Position: len(s.Children[parent])}}, nil
}

// SetEnabled decides whether agents may add a tag to conversations.
// Disabling a tag keeps its subtree in place: the tags below are not
// offered either, since they are reached through it.
func SetEnabled(s Tree, id uuid.UUID, enabled bool) ([]any, error) {
	t, err := s.find(id)
	if err != nil || t.Enabled == enabled {
		return nil, err
	}
	if enabled {
		return []any{eventschema.ConversationTagEnabled{TenantID: s.TenantID, TagID: id}}, nil
	}
	return []any{eventschema.ConversationTagDisabled{TenantID: s.TenantID, TagID: id}}, nil
}

// Delete decides the deletion of a tag and of every tag below it; the
// children are deleted, never re-parented, so no tag silently changes its
// meaning.
func Delete(s Tree, id uuid.UUID) ([]any, error) {
	if _, err := s.find(id); err != nil {
		return nil, err
	}
	return []any{eventschema.ConversationTagDeleted{TenantID: s.TenantID, TagID: id, Deleted: s.Subtree(id)}}, nil
}

// Reorder decides the order of parent's children: order must list each of
// them exactly once.
func Reorder(s Tree, parent uuid.UUID, order []uuid.UUID) ([]any, error) {
	if err := s.checkParent(parent); err != nil {
		return nil, err
	}
	current := s.Children[parent]
	sorted, want := slices.Clone(order), slices.Clone(current)
	cmp := func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) }
	slices.SortFunc(sorted, cmp)
	slices.SortFunc(want, cmp)
	if !slices.Equal(sorted, want) {
		return nil, domain.Errorf(domain.Invalid, "tag.order", "order", "must list each of the %d child tags exactly once", len(current))
	}
	if slices.Equal(order, current) {
		return nil, nil
	}
	return []any{eventschema.ConversationTagsReordered{TenantID: s.TenantID, ParentID: parent, Order: slices.Clone(order)}}, nil
}

// CheckUsable says whether agents may add the tags ids to a conversation:
// each must be a tag of the tree that is enabled (deleted and disabled
// tags stay on the conversations that carry them, but are not added anew).
func (s Tree) CheckUsable(ids []uuid.UUID) error {
	for _, id := range ids {
		t, ok := s.Tags[id]
		if !ok {
			return domain.Errorf(domain.Invalid, "tag.unknown", "tag_ids", "no conversation tag %s", id)
		}
		if !t.Enabled {
			return domain.Errorf(domain.Invalid, "tag.disabled", "tag_ids", "conversation tag %q is disabled", t.Name)
		}
	}
	return nil
}
