-- +goose Up
-- Read models of the "catalogues" projector: the tenant's catalogues as the
-- consoles list them. Each catalogue is one stream per tenant (per agent
-- for personal phrases), so every row carries the stream version of the
-- last event applied to it and a replayed older event changes nothing.
-- A nil UUID in parent_id means "no parent" (a root tag, a level-1
-- category), as in the events.
CREATE TABLE conversation_tags (
    tag_id    uuid    PRIMARY KEY,
    tenant_id uuid    NOT NULL,
    parent_id uuid    NOT NULL,
    name      text    NOT NULL,
    position  integer NOT NULL,
    enabled   boolean NOT NULL,
    version   bigint  NOT NULL
);
CREATE INDEX conversation_tags_tenant_idx ON conversation_tags (tenant_id, parent_id, position);

CREATE TABLE customer_tags (
    tag_id    uuid   PRIMARY KEY,
    tenant_id uuid   NOT NULL,
    name      text   NOT NULL,
    color     text   NOT NULL,
    version   bigint NOT NULL
);
CREATE INDEX customer_tags_tenant_idx ON customer_tags (tenant_id, lower(name));

-- Custom fields, and system fields whose switches were changed; a system
-- field without a row has its built-in definition.
CREATE TABLE profile_fields (
    tenant_id     uuid    NOT NULL,
    field_id      text    NOT NULL,
    system        boolean NOT NULL,
    name          text    NOT NULL,
    type          text    NOT NULL,
    options       text[]  NOT NULL,
    enabled       boolean NOT NULL,
    read_only     boolean NOT NULL,
    -- stream version of the event that added the row: the form's order
    added_version bigint  NOT NULL,
    version       bigint  NOT NULL,
    PRIMARY KEY (tenant_id, field_id)
);

-- owner_id is the agent of a personal book, the nil UUID for public ones.
CREATE TABLE phrase_categories (
    category_id uuid   PRIMARY KEY,
    tenant_id   uuid   NOT NULL,
    owner_id    uuid   NOT NULL,
    parent_id   uuid   NOT NULL,
    name        text   NOT NULL,
    version     bigint NOT NULL
);
CREATE INDEX phrase_categories_book_idx ON phrase_categories (tenant_id, owner_id);

CREATE TABLE phrases (
    phrase_id     uuid        PRIMARY KEY,
    tenant_id     uuid        NOT NULL,
    owner_id      uuid        NOT NULL,
    category_id   uuid        NOT NULL,
    text          text        NOT NULL,
    updated_at    timestamptz NOT NULL,
    -- stream version of PhraseAdded: unique in its book, the list's order
    -- and its cursor
    added_version bigint      NOT NULL,
    version       bigint      NOT NULL
);
CREATE INDEX phrases_book_idx ON phrases (tenant_id, owner_id, added_version);

CREATE TABLE knowledge_categories (
    category_id uuid   PRIMARY KEY,
    tenant_id   uuid   NOT NULL,
    name        text   NOT NULL,
    version     bigint NOT NULL
);
CREATE INDEX knowledge_categories_tenant_idx ON knowledge_categories (tenant_id);

CREATE TABLE knowledge_articles (
    article_id    uuid        PRIMARY KEY,
    tenant_id     uuid        NOT NULL,
    category_id   uuid        NOT NULL,
    title         text        NOT NULL,
    body          text        NOT NULL,
    attachments   jsonb       NOT NULL,
    published     boolean     NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL,
    added_version bigint      NOT NULL,
    version       bigint      NOT NULL
);
CREATE INDEX knowledge_articles_tenant_idx ON knowledge_articles (tenant_id, added_version);

CREATE TABLE review_categories (
    category_id   uuid    PRIMARY KEY,
    tenant_id     uuid    NOT NULL,
    name          text    NOT NULL,
    kind          text    NOT NULL,
    score         integer NOT NULL,
    added_version bigint  NOT NULL,
    version       bigint  NOT NULL
);
CREATE INDEX review_categories_tenant_idx ON review_categories (tenant_id, added_version);

-- +goose Down
DROP TABLE review_categories;
DROP TABLE knowledge_articles;
DROP TABLE knowledge_categories;
DROP TABLE phrases;
DROP TABLE phrase_categories;
DROP TABLE profile_fields;
DROP TABLE customer_tags;
DROP TABLE conversation_tags;
