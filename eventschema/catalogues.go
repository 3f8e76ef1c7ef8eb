package eventschema

import "github.com/google/uuid"

// Catalogue events: the lists an admin maintains for everyone of the
// tenant (conversation and customer tags, customer profile fields, public
// phrases, knowledge, review categories) and each agent's personal phrases.
// Each catalogue of a tenant is one stream, so that its limits (tag counts,
// unique names) hold under concurrency with one expected version:
//
//	conversationtags-{tenant id}   customertags-{tenant id}
//	profilefields-{tenant id}      phrases-{tenant id}
//	agentphrases-{agent id}        knowledge-{tenant id}
//	reviewcategories-{tenant id}
//
// A nil UUID in a parent field means "no parent": a root tag or a level-1
// category.

// ConversationTagAdded records a new conversation tag under ParentID (nil:
// a root tag) at Position among its siblings (0 first).
type ConversationTagAdded struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TagID    uuid.UUID `json:"tag_id"`
	ParentID uuid.UUID `json:"parent_id"`
	Name     string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
	Position int       `json:"position" jsonschema:"minimum=0"`
}

// ConversationTagRenamed records a tag's new name.
type ConversationTagRenamed struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TagID    uuid.UUID `json:"tag_id"`
	From     string    `json:"from"`
	To       string    `json:"to" jsonschema:"minLength=1,maxLength=50"`
}

// ConversationTagMoved records that a tag, with its subtree, now hangs
// under ToParentID (nil: a root) at Position among its new siblings.
type ConversationTagMoved struct {
	TenantID     uuid.UUID `json:"tenant_id"`
	TagID        uuid.UUID `json:"tag_id"`
	FromParentID uuid.UUID `json:"from_parent_id"`
	ToParentID   uuid.UUID `json:"to_parent_id"`
	Position     int       `json:"position" jsonschema:"minimum=0"`
}

// ConversationTagEnabled records that agents may again add a tag to
// conversations.
type ConversationTagEnabled struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TagID    uuid.UUID `json:"tag_id"`
}

// ConversationTagDisabled records that agents may no longer add a tag (and
// the tags below it) to conversations; conversations tagged before keep it.
type ConversationTagDisabled struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TagID    uuid.UUID `json:"tag_id"`
}

// ConversationTagDeleted records the deletion of a tag and its whole
// subtree: Deleted lists every tag removed, the tag itself first.
// Conversations tagged before keep their tags in their own history.
type ConversationTagDeleted struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	TagID    uuid.UUID   `json:"tag_id"`
	Deleted  []uuid.UUID `json:"deleted" jsonschema:"minItems=1"`
}

// ConversationTagsReordered records the new order of the children of
// ParentID (nil: the roots); Order lists all of them, first to last.
type ConversationTagsReordered struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	ParentID uuid.UUID   `json:"parent_id"`
	Order    []uuid.UUID `json:"order"`
}

// CustomerTagAdded records a new customer tag. Color is "#rrggbb".
type CustomerTagAdded struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TagID    uuid.UUID `json:"tag_id"`
	Name     string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
	Color    string    `json:"color"`
}

// CustomerTagChanged records a customer tag's new name and colour.
type CustomerTagChanged struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TagID    uuid.UUID `json:"tag_id"`
	Name     string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
	Color    string    `json:"color"`
}

// CustomerTagDeleted records the removal of a customer tag; customers lose
// it.
type CustomerTagDeleted struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TagID    uuid.UUID `json:"tag_id"`
}

// ProfileFieldAdded records a custom field of the customer profile. Type is
// text, multiline, number, date or select; Options are the choices of a
// select field.
type ProfileFieldAdded struct {
	TenantID uuid.UUID `json:"tenant_id"`
	FieldID  string    `json:"field_id" jsonschema:"minLength=1"`
	Name     string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
	Type     string    `json:"type" jsonschema:"enum=text,enum=multiline,enum=number,enum=date,enum=select"`
	Options  []string  `json:"options"`
	Enabled  bool      `json:"enabled"`
	ReadOnly bool      `json:"read_only"`
}

// ProfileFieldChanged records the new definition of a profile field,
// whole. For a system field only Enabled and ReadOnly can differ from its
// built-in definition.
type ProfileFieldChanged struct {
	TenantID uuid.UUID `json:"tenant_id"`
	FieldID  string    `json:"field_id" jsonschema:"minLength=1"`
	System   bool      `json:"system"`
	Name     string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
	Type     string    `json:"type" jsonschema:"enum=text,enum=multiline,enum=number,enum=date,enum=select"`
	Options  []string  `json:"options"`
	Enabled  bool      `json:"enabled"`
	ReadOnly bool      `json:"read_only"`
}

// ProfileFieldRemoved records the deletion of a custom field; system fields
// are never removed.
type ProfileFieldRemoved struct {
	TenantID uuid.UUID `json:"tenant_id"`
	FieldID  string    `json:"field_id" jsonschema:"minLength=1"`
}

// PhraseCategoryAdded records a phrase category. OwnerID is the agent of a
// personal category, nil for a public one; ParentID is the level-1
// category of a level-2 one, nil for level 1.
type PhraseCategoryAdded struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	OwnerID    uuid.UUID `json:"owner_id"`
	CategoryID uuid.UUID `json:"category_id"`
	ParentID   uuid.UUID `json:"parent_id"`
	Name       string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
}

// PhraseCategoryRenamed records a phrase category's new name.
type PhraseCategoryRenamed struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	OwnerID    uuid.UUID `json:"owner_id"`
	CategoryID uuid.UUID `json:"category_id"`
	Name       string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
}

// PhraseCategoryDeleted records the deletion of a category with everything
// in it: Categories lists the category and its subcategories, Phrases the
// phrases they held.
type PhraseCategoryDeleted struct {
	TenantID   uuid.UUID   `json:"tenant_id"`
	OwnerID    uuid.UUID   `json:"owner_id"`
	CategoryID uuid.UUID   `json:"category_id"`
	Categories []uuid.UUID `json:"categories" jsonschema:"minItems=1"`
	Phrases    []uuid.UUID `json:"phrases"`
}

// PhraseAdded records a phrase in a category. Text is kept verbatim,
// placeholders such as ##dear## included; they are filled in when the
// phrase is sent.
type PhraseAdded struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	OwnerID    uuid.UUID `json:"owner_id"`
	PhraseID   uuid.UUID `json:"phrase_id"`
	CategoryID uuid.UUID `json:"category_id"`
	Text       string    `json:"text" jsonschema:"minLength=1,maxLength=2000"`
}

// PhraseEdited records a phrase's new text and category.
type PhraseEdited struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	OwnerID    uuid.UUID `json:"owner_id"`
	PhraseID   uuid.UUID `json:"phrase_id"`
	CategoryID uuid.UUID `json:"category_id"`
	Text       string    `json:"text" jsonschema:"minLength=1,maxLength=2000"`
}

// PhraseDeleted records the removal of a phrase.
type PhraseDeleted struct {
	TenantID uuid.UUID `json:"tenant_id"`
	OwnerID  uuid.UUID `json:"owner_id"`
	PhraseID uuid.UUID `json:"phrase_id"`
}

// KnowledgeCategoryAdded records a knowledge category.
type KnowledgeCategoryAdded struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CategoryID uuid.UUID `json:"category_id"`
	Name       string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
}

// KnowledgeCategoryRenamed records a knowledge category's new name.
type KnowledgeCategoryRenamed struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CategoryID uuid.UUID `json:"category_id"`
	Name       string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
}

// KnowledgeCategoryDeleted records the removal of an empty knowledge
// category.
type KnowledgeCategoryDeleted struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CategoryID uuid.UUID `json:"category_id"`
}

// Attachment is a link to a file attached to a knowledge article; the file
// itself lives elsewhere.
type Attachment struct {
	Name string `json:"name" jsonschema:"minLength=1"`
	URL  string `json:"url" jsonschema:"minLength=1"`
}

// KnowledgeArticleDrafted records a new article, as a draft agents do not
// see yet.
type KnowledgeArticleDrafted struct {
	TenantID    uuid.UUID    `json:"tenant_id"`
	ArticleID   uuid.UUID    `json:"article_id"`
	CategoryID  uuid.UUID    `json:"category_id"`
	Title       string       `json:"title" jsonschema:"minLength=1,maxLength=200"`
	Body        string       `json:"body"`
	Attachments []Attachment `json:"attachments"`
}

// KnowledgeArticleEdited records an article's new content, whole.
type KnowledgeArticleEdited struct {
	TenantID    uuid.UUID    `json:"tenant_id"`
	ArticleID   uuid.UUID    `json:"article_id"`
	CategoryID  uuid.UUID    `json:"category_id"`
	Title       string       `json:"title" jsonschema:"minLength=1,maxLength=200"`
	Body        string       `json:"body"`
	Attachments []Attachment `json:"attachments"`
}

// KnowledgeArticlePublished records that agents now see an article.
type KnowledgeArticlePublished struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	ArticleID uuid.UUID `json:"article_id"`
}

// KnowledgeArticleUnpublished records that an article is a draft again.
type KnowledgeArticleUnpublished struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	ArticleID uuid.UUID `json:"article_id"`
}

// KnowledgeArticleDeleted records the removal of an article.
type KnowledgeArticleDeleted struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	ArticleID uuid.UUID `json:"article_id"`
}

// ReviewCategoryAdded records an item of the quality-review form. Kind
// "plus" adds up to Score points to a review, "minus" deducts up to Score.
type ReviewCategoryAdded struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CategoryID uuid.UUID `json:"category_id"`
	Name       string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
	Kind       string    `json:"kind" jsonschema:"enum=plus,enum=minus"`
	Score      int       `json:"score" jsonschema:"minimum=1,maximum=100"`
}

// ReviewCategoryChanged records a review category's new definition. It
// takes effect at once for reviews made from then on; earlier reviews keep
// the scores they were given.
type ReviewCategoryChanged struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CategoryID uuid.UUID `json:"category_id"`
	Name       string    `json:"name" jsonschema:"minLength=1,maxLength=50"`
	Kind       string    `json:"kind" jsonschema:"enum=plus,enum=minus"`
	Score      int       `json:"score" jsonschema:"minimum=1,maximum=100"`
}

// ReviewCategoryRemoved records the removal of a review category.
type ReviewCategoryRemoved struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CategoryID uuid.UUID `json:"category_id"`
}

func registerCatalogues(r *Registry) {
	Register[ConversationTagAdded](r, "ConversationTagAdded", 1)
	Register[ConversationTagRenamed](r, "ConversationTagRenamed", 1)
	Register[ConversationTagMoved](r, "ConversationTagMoved", 1)
	Register[ConversationTagEnabled](r, "ConversationTagEnabled", 1)
	Register[ConversationTagDisabled](r, "ConversationTagDisabled", 1)
	Register[ConversationTagDeleted](r, "ConversationTagDeleted", 1)
	Register[ConversationTagsReordered](r, "ConversationTagsReordered", 1)
	Register[CustomerTagAdded](r, "CustomerTagAdded", 1)
	Register[CustomerTagChanged](r, "CustomerTagChanged", 1)
	Register[CustomerTagDeleted](r, "CustomerTagDeleted", 1)
	Register[ProfileFieldAdded](r, "ProfileFieldAdded", 1)
	Register[ProfileFieldChanged](r, "ProfileFieldChanged", 1)
	Register[ProfileFieldRemoved](r, "ProfileFieldRemoved", 1)
	Register[PhraseCategoryAdded](r, "PhraseCategoryAdded", 1)
	Register[PhraseCategoryRenamed](r, "PhraseCategoryRenamed", 1)
	Register[PhraseCategoryDeleted](r, "PhraseCategoryDeleted", 1)
	Register[PhraseAdded](r, "PhraseAdded", 1)
	Register[PhraseEdited](r, "PhraseEdited", 1)
	Register[PhraseDeleted](r, "PhraseDeleted", 1)
	Register[KnowledgeCategoryAdded](r, "KnowledgeCategoryAdded", 1)
	Register[KnowledgeCategoryRenamed](r, "KnowledgeCategoryRenamed", 1)
	Register[KnowledgeCategoryDeleted](r, "KnowledgeCategoryDeleted", 1)
	Register[KnowledgeArticleDrafted](r, "KnowledgeArticleDrafted", 1)
	Register[KnowledgeArticleEdited](r, "KnowledgeArticleEdited", 1)
	Register[KnowledgeArticlePublished](r, "KnowledgeArticlePublished", 1)
	Register[KnowledgeArticleUnpublished](r, "KnowledgeArticleUnpublished", 1)
	Register[KnowledgeArticleDeleted](r, "KnowledgeArticleDeleted", 1)
	Register[ReviewCategoryAdded](r, "ReviewCategoryAdded", 1)
	Register[ReviewCategoryChanged](r, "ReviewCategoryChanged", 1)
	Register[ReviewCategoryRemoved](r, "ReviewCategoryRemoved", 1)
}
