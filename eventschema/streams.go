package eventschema

import (
	"strings"

	"github.com/google/uuid"
)

// ObjectStream names the stream of one object of a tenant:
// "{category}-{tenant id}_{object id}". Object IDs may be chosen by clients,
// so the same ID in two tenants names two streams; a stream never holds two
// tenants' events. Streams that hold a whole tenant's objects (rules,
// catalogues, webhook endpoints) are named "{category}-{tenant id}" instead.
func ObjectStream(category string, tenantID, id uuid.UUID) string {
	return category + "-" + tenantID.String() + "_" + id.String()
}

// ParseObjectStream splits a name built by ObjectStream. ok is false for
// any other name, including a per-tenant stream.
func ParseObjectStream(stream string) (category string, tenantID, id uuid.UUID, ok bool) {
	category, rest, found := strings.Cut(stream, "-")
	if !found || category == "" {
		return "", uuid.Nil, uuid.Nil, false
	}
	t, o, found := strings.Cut(rest, "_")
	if !found || len(t) != 36 || len(o) != 36 {
		return "", uuid.Nil, uuid.Nil, false
	}
	var err error
	if tenantID, err = uuid.Parse(t); err != nil {
		return "", uuid.Nil, uuid.Nil, false
	}
	if id, err = uuid.Parse(o); err != nil {
		return "", uuid.Nil, uuid.Nil, false
	}
	return category, tenantID, id, true
}

// ObjectOf returns the tenant and object IDs of stream if it is an object
// stream of category.
func ObjectOf(category, stream string) (tenantID, id uuid.UUID, ok bool) {
	c, tenantID, id, ok := ParseObjectStream(stream)
	if !ok || c != category {
		return uuid.Nil, uuid.Nil, false
	}
	return tenantID, id, true
}
