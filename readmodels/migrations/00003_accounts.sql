-- +goose Up
-- Read models of the "accounts" projector: users with their profile,
-- status and capacity; sessions, API tokens and channel keys by hash (what
-- authentication looks up on every request); custom roles. Rows are fed by
-- two streams per user (the tenant's roster and the agent's own), each with
-- its own version guard.
CREATE TABLE agents (
    tenant_id      uuid        NOT NULL,
    agent_id       uuid        PRIMARY KEY,
    email          text        NOT NULL,
    nickname       text        NOT NULL,
    real_name      text        NOT NULL DEFAULT '',
    phone          text        NOT NULL DEFAULT '',
    employee_id    text        NOT NULL DEFAULT '',
    avatar_url     text        NOT NULL DEFAULT '',
    greeting       text        NOT NULL DEFAULT '',
    language       text        NOT NULL DEFAULT '',
    role           text        NOT NULL,
    enabled        boolean     NOT NULL,
    status         text        NOT NULL DEFAULT 'offline',
    status_since   timestamptz,
    capacity       integer     NOT NULL DEFAULT 5,
    created_at     timestamptz NOT NULL,
    -- stream versions of the last roster and agent events applied
    roster_version bigint      NOT NULL DEFAULT -1,
    agent_version  bigint      NOT NULL DEFAULT -1
);
CREATE INDEX agents_tenant_idx ON agents (tenant_id, nickname, agent_id);
CREATE UNIQUE INDEX agents_tenant_email_idx ON agents (tenant_id, email);

CREATE TABLE agent_sessions (
    token_hash   text        PRIMARY KEY,
    session_id   uuid        NOT NULL UNIQUE,
    tenant_id    uuid        NOT NULL,
    agent_id     uuid        NOT NULL,
    client_ip    text        NOT NULL,
    signed_in_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    end_reason   text
);
CREATE INDEX agent_sessions_agent_idx ON agent_sessions (agent_id) WHERE ended_at IS NULL;

CREATE TABLE api_tokens (
    token_hash text        PRIMARY KEY,
    token_id   uuid        NOT NULL UNIQUE,
    tenant_id  uuid        NOT NULL,
    name       text        NOT NULL,
    role       text        NOT NULL,
    issued_by  uuid        NOT NULL,
    issued_at  timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE channel_keys (
    key_hash   text        PRIMARY KEY,
    key_id     uuid        NOT NULL UNIQUE,
    tenant_id  uuid        NOT NULL,
    channel    text        NOT NULL,
    name       text        NOT NULL,
    issued_at  timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE roles (
    role_id      uuid    PRIMARY KEY,
    tenant_id    uuid    NOT NULL,
    name         text    NOT NULL,
    capabilities text[]  NOT NULL,
    data_scope   text    NOT NULL,
    version      bigint  NOT NULL
);
CREATE INDEX roles_tenant_idx ON roles (tenant_id, name);

-- Console heartbeats: the one table written by the API directly, not by a
-- projector. A heartbeat is a liveness signal, not a fact; the fact that a
-- silent console went offline is an event (AgentSignedOut).
CREATE TABLE session_heartbeats (
    session_id uuid        PRIMARY KEY,
    last_seen  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE session_heartbeats;
DROP TABLE roles;
DROP TABLE channel_keys;
DROP TABLE api_tokens;
DROP TABLE agent_sessions;
DROP TABLE agents;
