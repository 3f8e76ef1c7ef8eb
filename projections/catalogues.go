package projections

import (
	"context"
	"encoding/json"
	"strings"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Catalogues projects the catalogue streams (conversation and customer
// tags, profile fields, phrase books, knowledge, review categories) into
// the catalogue read models (readmodels/catalogues.go). Each catalogue is
// one stream, so every row is guarded by that stream's version.
type Catalogues struct {
	reg *eventschema.Registry
}

// NewCatalogues returns the catalogues projector.
func NewCatalogues(reg *eventschema.Registry) *Catalogues { return &Catalogues{reg: reg} }

// Name implements Projector.
func (*Catalogues) Name() string { return "catalogues" }

// Tables implements Projector.
func (*Catalogues) Tables() []string {
	return []string{readmodels.ConversationTagsTable, readmodels.CustomerTagsTable, readmodels.ProfileFieldsTable,
		readmodels.PhraseCategoriesTable, readmodels.PhrasesTable, readmodels.KnowledgeCategoriesTable,
		readmodels.KnowledgeArticlesTable, readmodels.ReviewCategoriesTable}
}

// catalogueStreams are the stream categories this projector reads.
var catalogueStreams = []string{"conversationtags-", "customertags-", "profilefields-", "phrases-", "agentphrases-",
	"knowledge-", "reviewcategories-"}

// Apply implements Projector.
func (p *Catalogues) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	ours := false
	for _, prefix := range catalogueStreams {
		if strings.HasPrefix(e.Stream, prefix) {
			ours = true
			break
		}
	}
	if !ours {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v, at := int64(e.StreamVersion), occurredAt(e)
	switch ev := payload.(type) {
	case eventschema.ConversationTagAdded:
		return db.Exec(ctx, `
			INSERT INTO conversation_tags (tag_id, tenant_id, parent_id, name, position, enabled, version)
			VALUES ($1, $2, $3, $4, $5, true, $6) ON CONFLICT (tag_id) DO NOTHING`,
			ev.TagID, ev.TenantID, ev.ParentID, ev.Name, ev.Position, v)
	case eventschema.ConversationTagRenamed:
		return db.Exec(ctx, `UPDATE conversation_tags SET name = $2, version = $3 WHERE tag_id = $1 AND version < $3`, ev.TagID, ev.To, v)
	case eventschema.ConversationTagMoved:
		return db.Exec(ctx, `UPDATE conversation_tags SET parent_id = $2, position = $3, version = $4 WHERE tag_id = $1 AND version < $4`,
			ev.TagID, ev.ToParentID, ev.Position, v)
	case eventschema.ConversationTagEnabled:
		return db.Exec(ctx, `UPDATE conversation_tags SET enabled = true, version = $2 WHERE tag_id = $1 AND version < $2`, ev.TagID, v)
	case eventschema.ConversationTagDisabled:
		return db.Exec(ctx, `UPDATE conversation_tags SET enabled = false, version = $2 WHERE tag_id = $1 AND version < $2`, ev.TagID, v)
	case eventschema.ConversationTagDeleted:
		return db.Exec(ctx, `DELETE FROM conversation_tags WHERE tag_id = ANY($1) AND version < $2`, ev.Deleted, v)
	case eventschema.ConversationTagsReordered:
		return db.Exec(ctx, `
			UPDATE conversation_tags t SET position = o.pos - 1, version = $2
			FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, pos)
			WHERE t.tag_id = o.id AND t.version < $2`, ev.Order, v)

	case eventschema.CustomerTagAdded:
		return db.Exec(ctx, `INSERT INTO customer_tags (tag_id, tenant_id, name, color, version) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tag_id) DO NOTHING`, ev.TagID, ev.TenantID, ev.Name, ev.Color, v)
	case eventschema.CustomerTagChanged:
		return db.Exec(ctx, `UPDATE customer_tags SET name = $2, color = $3, version = $4 WHERE tag_id = $1 AND version < $4`,
			ev.TagID, ev.Name, ev.Color, v)
	case eventschema.CustomerTagDeleted:
		return db.Exec(ctx, `DELETE FROM customer_tags WHERE tag_id = $1 AND version < $2`, ev.TagID, v)

	case eventschema.ProfileFieldAdded:
		return db.Exec(ctx, `
			INSERT INTO profile_fields (tenant_id, field_id, system, name, type, options, enabled, read_only, added_version, version)
			VALUES ($1, $2, false, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING`,
			ev.TenantID, ev.FieldID, ev.Name, ev.Type, nonNil(ev.Options), ev.Enabled, ev.ReadOnly, v)
	case eventschema.ProfileFieldChanged:
		return db.Exec(ctx, `
			INSERT INTO profile_fields (tenant_id, field_id, system, name, type, options, enabled, read_only, added_version, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			ON CONFLICT (tenant_id, field_id) DO UPDATE SET name = excluded.name, type = excluded.type, options = excluded.options,
			       enabled = excluded.enabled, read_only = excluded.read_only, version = excluded.version
			WHERE profile_fields.version < excluded.version`,
			ev.TenantID, ev.FieldID, ev.System, ev.Name, ev.Type, nonNil(ev.Options), ev.Enabled, ev.ReadOnly, v)
	case eventschema.ProfileFieldRemoved:
		return db.Exec(ctx, `DELETE FROM profile_fields WHERE tenant_id = $1 AND field_id = $2 AND version < $3`, ev.TenantID, ev.FieldID, v)

	case eventschema.PhraseCategoryAdded:
		return db.Exec(ctx, `INSERT INTO phrase_categories (category_id, tenant_id, owner_id, parent_id, name, version)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (category_id) DO NOTHING`,
			ev.CategoryID, ev.TenantID, ev.OwnerID, ev.ParentID, ev.Name, v)
	case eventschema.PhraseCategoryRenamed:
		return db.Exec(ctx, `UPDATE phrase_categories SET name = $2, version = $3 WHERE category_id = $1 AND version < $3`, ev.CategoryID, ev.Name, v)
	case eventschema.PhraseCategoryDeleted:
		if err := db.Exec(ctx, `DELETE FROM phrases WHERE phrase_id = ANY($1) AND version < $2`, nonNilIDs(ev.Phrases), v); err != nil {
			return err
		}
		return db.Exec(ctx, `DELETE FROM phrase_categories WHERE category_id = ANY($1) AND version < $2`, ev.Categories, v)
	case eventschema.PhraseAdded:
		return db.Exec(ctx, `INSERT INTO phrases (phrase_id, tenant_id, owner_id, category_id, text, updated_at, added_version, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (phrase_id) DO NOTHING`,
			ev.PhraseID, ev.TenantID, ev.OwnerID, ev.CategoryID, ev.Text, at, v)
	case eventschema.PhraseEdited:
		return db.Exec(ctx, `UPDATE phrases SET category_id = $2, text = $3, updated_at = $4, version = $5 WHERE phrase_id = $1 AND version < $5`,
			ev.PhraseID, ev.CategoryID, ev.Text, at, v)
	case eventschema.PhraseDeleted:
		return db.Exec(ctx, `DELETE FROM phrases WHERE phrase_id = $1 AND version < $2`, ev.PhraseID, v)

	case eventschema.KnowledgeCategoryAdded:
		return db.Exec(ctx, `INSERT INTO knowledge_categories (category_id, tenant_id, name, version) VALUES ($1, $2, $3, $4)
			ON CONFLICT (category_id) DO NOTHING`, ev.CategoryID, ev.TenantID, ev.Name, v)
	case eventschema.KnowledgeCategoryRenamed:
		return db.Exec(ctx, `UPDATE knowledge_categories SET name = $2, version = $3 WHERE category_id = $1 AND version < $3`, ev.CategoryID, ev.Name, v)
	case eventschema.KnowledgeCategoryDeleted:
		return db.Exec(ctx, `DELETE FROM knowledge_categories WHERE category_id = $1 AND version < $2`, ev.CategoryID, v)
	case eventschema.KnowledgeArticleDrafted:
		links, err := attachmentsJSON(ev.Attachments)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `
			INSERT INTO knowledge_articles (article_id, tenant_id, category_id, title, body, attachments, updated_at, added_version, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (article_id) DO NOTHING`,
			ev.ArticleID, ev.TenantID, ev.CategoryID, ev.Title, ev.Body, links, at, v)
	case eventschema.KnowledgeArticleEdited:
		links, err := attachmentsJSON(ev.Attachments)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `
			UPDATE knowledge_articles SET category_id = $2, title = $3, body = $4, attachments = $5, updated_at = $6, version = $7
			WHERE article_id = $1 AND version < $7`,
			ev.ArticleID, ev.CategoryID, ev.Title, ev.Body, links, at, v)
	case eventschema.KnowledgeArticlePublished:
		return db.Exec(ctx, `UPDATE knowledge_articles SET published = true, updated_at = $2, version = $3 WHERE article_id = $1 AND version < $3`,
			ev.ArticleID, at, v)
	case eventschema.KnowledgeArticleUnpublished:
		return db.Exec(ctx, `UPDATE knowledge_articles SET published = false, updated_at = $2, version = $3 WHERE article_id = $1 AND version < $3`,
			ev.ArticleID, at, v)
	case eventschema.KnowledgeArticleDeleted:
		return db.Exec(ctx, `DELETE FROM knowledge_articles WHERE article_id = $1 AND version < $2`, ev.ArticleID, v)

	case eventschema.ReviewCategoryAdded:
		return db.Exec(ctx, `INSERT INTO review_categories (category_id, tenant_id, name, kind, score, added_version, version)
			VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (category_id) DO NOTHING`,
			ev.CategoryID, ev.TenantID, ev.Name, ev.Kind, ev.Score, v)
	case eventschema.ReviewCategoryChanged:
		return db.Exec(ctx, `UPDATE review_categories SET name = $2, kind = $3, score = $4, version = $5 WHERE category_id = $1 AND version < $5`,
			ev.CategoryID, ev.Name, ev.Kind, ev.Score, v)
	case eventschema.ReviewCategoryRemoved:
		return db.Exec(ctx, `DELETE FROM review_categories WHERE category_id = $1 AND version < $2`, ev.CategoryID, v)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilIDs[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func attachmentsJSON(a []eventschema.Attachment) (string, error) {
	if a == nil {
		a = []eventschema.Attachment{}
	}
	b, err := json.Marshal(a)
	return string(b), err
}

// catalogueEvents are the types of the catalogue streams this projector
// writes.
var catalogueEvents = []string{"ConversationTagAdded", "ConversationTagRenamed", "ConversationTagMoved", "ConversationTagEnabled", "ConversationTagDisabled", "ConversationTagDeleted", "ConversationTagsReordered", "CustomerTagAdded", "CustomerTagChanged", "CustomerTagDeleted", "ProfileFieldAdded", "ProfileFieldChanged", "ProfileFieldRemoved", "PhraseCategoryAdded", "PhraseCategoryRenamed", "PhraseCategoryDeleted", "PhraseAdded", "PhraseEdited", "PhraseDeleted", "KnowledgeCategoryAdded", "KnowledgeCategoryRenamed", "KnowledgeCategoryDeleted", "KnowledgeArticleDrafted", "KnowledgeArticleEdited", "KnowledgeArticlePublished", "KnowledgeArticleUnpublished", "KnowledgeArticleDeleted", "ReviewCategoryAdded", "ReviewCategoryChanged", "ReviewCategoryRemoved"}

// EventTypes implements Selective.
func (*Catalogues) EventTypes() []string { return catalogueEvents }
