package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain"
	"supportd/domain/access"
	"supportd/domain/profilefields"
	"supportd/domain/reviewcats"
	"supportd/domain/tags"
	"supportd/readmodels"
)

// The catalogue routes: conversation tags, customer tags, customer profile
// fields and review categories. Every signed-in user of the tenant reads
// them (agents tag conversations and customers, fill in profiles); admins
// with the catalogues page change them. Phrases and knowledge have their
// own files.
func (h *handlers) catalogueRoutes(g *echo.Group) {
	admin := need(access.ManageCatalogues)
	g.GET("/conversation-tags", h.listConversationTags, signedIn)
	g.GET("/conversation-tags/tree", h.conversationTagTree, signedIn)
	g.POST("/conversation-tags", h.addConversationTag, admin)
	g.PATCH("/conversation-tags/:tag_id", h.changeConversationTag, admin)
	g.DELETE("/conversation-tags/:tag_id", h.deleteConversationTag, admin)
	g.PUT("/conversation-tags/order", h.reorderConversationTags, admin)
	g.GET("/conversation-tags/template.csv", h.conversationTagTemplate, admin)
	g.GET("/conversation-tags/export.csv", h.exportConversationTags, admin)
	g.POST("/conversation-tags/import", h.importConversationTags, admin)

	g.GET("/customer-tags", h.listCustomerTags, signedIn)
	g.POST("/customer-tags", h.addCustomerTag, admin)
	g.PUT("/customer-tags/:tag_id", h.changeCustomerTag, admin)
	g.DELETE("/customer-tags/:tag_id", h.deleteCustomerTag, admin)

	g.GET("/profile-fields", h.listProfileFields, signedIn)
	g.POST("/profile-fields", h.addProfileField, admin)
	g.PUT("/profile-fields/:field_id", h.changeProfileField, admin)
	g.DELETE("/profile-fields/:field_id", h.removeProfileField, admin)

	g.GET("/review-categories", h.listReviewCategories, signedIn)
	g.POST("/review-categories", h.addReviewCategory, admin)
	g.PUT("/review-categories/:category_id", h.changeReviewCategory, admin)
	g.DELETE("/review-categories/:category_id", h.removeReviewCategory, admin)
}

// createdAnswer answers a command that created something: its ID and where the
// command left the stream.
type createdAnswer struct {
	ID uuid.UUID `json:"id"`
	commands.Result
}

// runCatalogue runs a catalogue command for the request and answers its result.
// The command ID is fixed first, so that a created thing can be named by
// it (commands.NewID).
func runCatalogue(c echo.Context, run func(m commands.Meta) (commands.Result, error)) error {
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := run(commands.WithCommandID(m))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// create is runCatalogue for a command that creates one thing.
func create(c echo.Context, run func(m commands.Meta, id uuid.UUID) (commands.Result, error)) error {
	m, err := meta(c)
	if err != nil {
		return err
	}
	m = commands.WithCommandID(m)
	id := commands.NewID(m, 0)
	res, err := run(m, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, createdAnswer{ID: id, Result: res})
}

// listAnswer answers a list.
func listAnswer[T any](c echo.Context, list []T, next string) error {
	if list == nil {
		list = []T{}
	}
	body := map[string]any{"items": list}
	if next != "" {
		body["next"] = next
	}
	return c.JSON(http.StatusOK, body)
}

func (h *handlers) listConversationTags(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	flat, _, err := readmodels.ConversationTagTree(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	return listAnswer(c, flat, "")
}

func (h *handlers) conversationTagTree(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	_, roots, err := readmodels.ConversationTagTree(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	return listAnswer(c, roots, "")
}

func (h *handlers) addConversationTag(c echo.Context) error {
	var req struct {
		Name     string    `json:"name"`
		ParentID uuid.UUID `json:"parent_id"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	return create(c, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return h.d.Commands.ConversationTags(c.Request().Context(), m, callerOf(c).tenantID, func(s tags.Tree) ([]any, error) {
			return tags.Add(s, id, req.ParentID, req.Name)
		})
	})
}

// changeConversationTag renames, moves and enables or disables a tag in
// one command: each present field is one decision, taken in that order on
// the state the previous one left.
func (h *handlers) changeConversationTag(c echo.Context) error {
	id, err := pathID(c, "tag_id")
	if err != nil {
		return err
	}
	var req struct {
		Name *string `json:"name"`
		// ParentID null moves the tag to the roots; absent leaves it.
		ParentID json.RawMessage `json:"parent_id"`
		Enabled  *bool           `json:"enabled"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	var parent *uuid.UUID
	if len(req.ParentID) > 0 {
		parent = new(uuid.UUID)
		if string(req.ParentID) != "null" {
			if err := json.Unmarshal(req.ParentID, parent); err != nil {
				return domain.Errorf(domain.Invalid, "request.invalid_body", "/parent_id", "parent_id: %v", err)
			}
		}
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.ConversationTags(c.Request().Context(), m, callerOf(c).tenantID, func(s tags.Tree) ([]any, error) {
			var steps []func(tags.Tree) ([]any, error)
			if req.Name != nil {
				steps = append(steps, func(s tags.Tree) ([]any, error) { return tags.Rename(s, id, *req.Name) })
			}
			if parent != nil {
				steps = append(steps, func(s tags.Tree) ([]any, error) { return tags.Move(s, id, *parent) })
			}
			if req.Enabled != nil {
				steps = append(steps, func(s tags.Tree) ([]any, error) { return tags.SetEnabled(s, id, *req.Enabled) })
			}
			if len(steps) == 0 {
				return tags.Rename(s, id, s.Tags[id].Name) // only checks that the tag exists
			}
			var out []any
			for _, step := range steps {
				events, err := step(s)
				if err != nil {
					return nil, err
				}
				for _, e := range events {
					s = tags.EvolveTree(s, e)
				}
				out = append(out, events...)
			}
			return out, nil
		})
	})
}

func (h *handlers) deleteConversationTag(c echo.Context) error {
	id, err := pathID(c, "tag_id")
	if err != nil {
		return err
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.ConversationTags(c.Request().Context(), m, callerOf(c).tenantID, func(s tags.Tree) ([]any, error) {
			return tags.Delete(s, id)
		})
	})
}

func (h *handlers) reorderConversationTags(c echo.Context) error {
	var req struct {
		ParentID uuid.UUID   `json:"parent_id"`
		Order    []uuid.UUID `json:"order"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.ConversationTags(c.Request().Context(), m, callerOf(c).tenantID, func(s tags.Tree) ([]any, error) {
			return tags.Reorder(s, req.ParentID, req.Order)
		})
	})
}

func (h *handlers) listCustomerTags(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	list, err := readmodels.ListCustomerTags(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	return listAnswer(c, list, "")
}

type customerTagRequest struct {
	Name  string `json:"name"`
	Color string `json:"color"`
}

func (h *handlers) addCustomerTag(c echo.Context) error {
	var req customerTagRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	return create(c, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return h.d.Commands.CustomerTags(c.Request().Context(), m, callerOf(c).tenantID, func(s tags.Customer) ([]any, error) {
			return tags.AddCustomerTag(s, id, req.Name, req.Color)
		})
	})
}

func (h *handlers) changeCustomerTag(c echo.Context) error {
	id, err := pathID(c, "tag_id")
	if err != nil {
		return err
	}
	var req customerTagRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.CustomerTags(c.Request().Context(), m, callerOf(c).tenantID, func(s tags.Customer) ([]any, error) {
			return tags.ChangeCustomerTag(s, id, req.Name, req.Color)
		})
	})
}

func (h *handlers) deleteCustomerTag(c echo.Context) error {
	id, err := pathID(c, "tag_id")
	if err != nil {
		return err
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.CustomerTags(c.Request().Context(), m, callerOf(c).tenantID, func(s tags.Customer) ([]any, error) {
			return tags.DeleteCustomerTag(s, id)
		})
	})
}

// listProfileFields answers the whole form: the system fields with their
// built-in definitions unless changed, then the custom fields.
func (h *handlers) listProfileFields(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	stored, err := readmodels.ListProfileFields(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	byID := map[string]readmodels.ProfileField{}
	for _, f := range stored {
		byID[f.FieldID] = f
	}
	var out []readmodels.ProfileField
	for _, f := range profilefields.System() {
		if s, ok := byID[f.ID]; ok {
			out = append(out, s)
			continue
		}
		out = append(out, readmodels.ProfileField{FieldID: f.ID, System: true, Name: f.Name, Type: f.Type,
			Options: f.Options, Enabled: f.Enabled, ReadOnly: f.ReadOnly})
	}
	for _, f := range stored {
		if !f.System {
			out = append(out, f)
		}
	}
	return listAnswer(c, out, "")
}

type profileFieldRequest struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Options  []string `json:"options"`
	Enabled  bool     `json:"enabled"`
	ReadOnly bool     `json:"read_only"`
}

func (r profileFieldRequest) field(id string) profilefields.Field {
	return profilefields.Field{ID: id, Name: r.Name, Type: r.Type, Options: r.Options, Enabled: r.Enabled, ReadOnly: r.ReadOnly}
}

func (h *handlers) addProfileField(c echo.Context) error {
	req := profileFieldRequest{Enabled: true}
	if err := c.Bind(&req); err != nil {
		return err
	}
	return create(c, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return h.d.Commands.ProfileFields(c.Request().Context(), m, callerOf(c).tenantID, func(s profilefields.State) ([]any, error) {
			return profilefields.Add(s, id, req.field(""))
		})
	})
}

func (h *handlers) changeProfileField(c echo.Context) error {
	var req profileFieldRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.ProfileFields(c.Request().Context(), m, callerOf(c).tenantID, func(s profilefields.State) ([]any, error) {
			return profilefields.Change(s, req.field(c.Param("field_id")))
		})
	})
}

func (h *handlers) removeProfileField(c echo.Context) error {
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.ProfileFields(c.Request().Context(), m, callerOf(c).tenantID, func(s profilefields.State) ([]any, error) {
			return profilefields.Remove(s, c.Param("field_id"))
		})
	})
}

func (h *handlers) listReviewCategories(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	list, err := readmodels.ListReviewCategories(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	return listAnswer(c, list, "")
}

type reviewCategoryRequest struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Score int    `json:"score"`
}

func (h *handlers) addReviewCategory(c echo.Context) error {
	var req reviewCategoryRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	return create(c, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return h.d.Commands.ReviewCategories(c.Request().Context(), m, callerOf(c).tenantID, func(s reviewcats.State) ([]any, error) {
			return reviewcats.Add(s, reviewcats.Category{ID: id, Name: req.Name, Kind: req.Kind, Score: req.Score})
		})
	})
}

func (h *handlers) changeReviewCategory(c echo.Context) error {
	id, err := pathID(c, "category_id")
	if err != nil {
		return err
	}
	var req reviewCategoryRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.ReviewCategories(c.Request().Context(), m, callerOf(c).tenantID, func(s reviewcats.State) ([]any, error) {
			return reviewcats.Change(s, reviewcats.Category{ID: id, Name: req.Name, Kind: req.Kind, Score: req.Score})
		})
	})
}

func (h *handlers) removeReviewCategory(c echo.Context) error {
	id, err := pathID(c, "category_id")
	if err != nil {
		return err
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.ReviewCategories(c.Request().Context(), m, callerOf(c).tenantID, func(s reviewcats.State) ([]any, error) {
			return reviewcats.Remove(s, id)
		})
	})
}

// conversationTagColumns are the columns of the tag tree's CSV template,
// export and import: the tree depth first, each row's level (1 for a
// root; a deeper row hangs under the last row one level up), its name and
// whether it is enabled (yes or no).
var (
	conversationTagColumns   = []string{"level", "name", "enabled"}
	conversationTagMultiline = []bool{false, false, false}
)

func (h *handlers) conversationTagTemplate(c echo.Context) error {
	return writeCSV(c, "conversation-tags-template.csv", [][]string{conversationTagColumns,
		{"1", "Orders", "yes"}, {"2", "Late delivery", "yes"}, {"1", "Billing", "yes"}})
}

func (h *handlers) exportConversationTags(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	flat, _, err := readmodels.ConversationTagTree(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	records := [][]string{conversationTagColumns}
	for _, t := range flat {
		records = append(records, []string{strconv.Itoa(t.Level), t.Name, yesNo(t.Enabled)})
	}
	return writeCSV(c, "conversation-tags.csv", records)
}

// importConversationTags reads a CSV file in the template's columns and
// imports it all or nothing; a refused import lists every bad row by line
// number.
func (h *handlers) importConversationTags(c echo.Context) error {
	recs, err := readCSV(c.Request().Body, conversationTagColumns, conversationTagColumns, conversationTagMultiline)
	if err != nil {
		return err
	}
	var rows []tags.TreeRow
	var problems []domain.LineProblem
	for _, r := range recs {
		level, err := strconv.Atoi(strings.TrimSpace(r.cells[0]))
		if err != nil {
			problems = append(problems, domain.LineProblem{Line: r.line, Field: "level", Message: "must be a number from 1"})
			continue
		}
		enabled, ok := parseYesNo(r.cells[2], true)
		if !ok {
			problems = append(problems, domain.LineProblem{Line: r.line, Field: "enabled", Message: `must be "yes" or "no"`})
			continue
		}
		rows = append(rows, tags.TreeRow{Line: r.line, Level: level, Name: r.cells[1], Enabled: enabled})
	}
	if len(problems) > 0 {
		return importProblems(problems...)
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.ConversationTags(c.Request().Context(), m, callerOf(c).tenantID, func(s tags.Tree) ([]any, error) {
			return tags.ImportTree(s, rows, func(i int) uuid.UUID { return commands.NewID(m, i) })
		})
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// parseYesNo reads a CSV yes/no cell; an empty one is def.
func parseYesNo(cell string, def bool) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(cell)) {
	case "yes":
		return true, true
	case "no":
		return false, true
	case "":
		return def, true
	}
	return false, false
}
