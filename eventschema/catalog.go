package eventschema

// Catalog returns a registry of every event type supportd writes, in its
// current schema version, with the upcasters of older versions. Adding an
// event type means adding it here; `supportctl schema` then writes its JSON
// Schema under eventschema/schemas/.
func Catalog() *Registry {
	r := NewRegistry()
	Register[TenantCreated](r, "TenantCreated", 1)
	Register[TenantSettingChanged](r, "TenantSettingChanged", 1)
	return r
}
