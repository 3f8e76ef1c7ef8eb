package eventschema

// Catalog returns a registry of every event type supportd writes, in its
// current schema version, with the upcasters of older versions. Each area
// registers its types in its own file (registerTenants in tenant.go, …);
// adding an event type means registering it there, running `supportctl
// schema` to write its JSON Schema under eventschema/schemas/, and storing a
// sample under testdata/samples/.
func Catalog() *Registry {
	r := NewRegistry()
	registerTenants(r)
	registerAccounts(r)
	registerTimePlans(r)
	registerTeams(r)
	registerCatalogues(r)
	registerConversations(r)
	registerRouting(r)
	registerCustomers(r)
	registerDispatch(r)
	registerWebhooks(r)
	registerRobots(r)
	registerKeywords(r)
	registerColleagues(r)
	registerTimeouts(r)
	registerNotes(r)
	return r
}
