-- +goose Up
-- Read models of the "tenants" projector, from TenantCreated and
-- TenantSettingChanged. Every column comes from the events, never from the
-- clock or a sequence, so a rebuild reproduces the rows exactly.
CREATE TABLE tenants (
    tenant_id  uuid        PRIMARY KEY,
    name       text        NOT NULL,
    time_zone  text        NOT NULL,
    created_at timestamptz NOT NULL,
    -- stream version of the TenantCreated event
    version    bigint      NOT NULL
);

-- The current value of every setting a tenant changed; settings never
-- changed have their documented default and no row.
CREATE TABLE tenant_settings (
    tenant_id        uuid        NOT NULL,
    key              text        NOT NULL,
    value            jsonb       NOT NULL,
    updated_at       timestamptz NOT NULL,
    -- stream version and global position of the event that set the value;
    -- a replayed older event never overwrites a newer value
    version          bigint      NOT NULL,
    commit_position  bigint      NOT NULL,
    prepare_position bigint      NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- +goose Down
DROP TABLE tenant_settings;
DROP TABLE tenants;
