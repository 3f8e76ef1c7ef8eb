-- +goose Up
-- Stream names carry their tenant: an object's stream is
-- "{category}-{tenant}_{id}", and a name with one ID, "{category}-{id}",
-- is a stream of the whole tenant, so its ID is the tenant's. Logs written
-- before that rule named objects "{category}-{id}"; this build would not
-- find those objects, so it refuses such a log rather than run beside it.
-- +goose StatementBegin
DO $$
DECLARE
    old text;
BEGIN
    SELECT stream INTO old FROM events
    WHERE stream ~ '^[a-z]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      AND substring(stream FROM '[0-9a-f-]{36}$') IS DISTINCT FROM metadata->>'tenant_id'
    LIMIT 1;
    IF old IS NOT NULL THEN
        RAISE EXCEPTION 'the event log names objects without their tenant (stream %), as builds before tenant-scoped stream names did', old
            USING HINT = 'Start this build on an empty event store; stream names are {category}-{tenant}_{id} for objects and {category}-{tenant} for a tenant''s collections.';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
SELECT 1;
