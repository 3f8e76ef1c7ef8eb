-- +goose Up
-- The tenant profile beyond its creation: logo and licensed seats, from
-- TenantProfileChanged and TenantSeatsLicensed, each guarded by the stream
-- version of the event that last set it.
ALTER TABLE tenants
    ADD COLUMN logo_url        text    NOT NULL DEFAULT '',
    ADD COLUMN licensed_seats  integer NOT NULL DEFAULT 10,
    ADD COLUMN profile_version bigint  NOT NULL DEFAULT -1,
    ADD COLUMN seats_version   bigint  NOT NULL DEFAULT -1;

-- +goose Down
ALTER TABLE tenants DROP COLUMN seats_version, DROP COLUMN profile_version,
    DROP COLUMN licensed_seats, DROP COLUMN logo_url;
