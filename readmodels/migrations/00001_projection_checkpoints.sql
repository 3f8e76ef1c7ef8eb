-- +goose Up
-- One row per projector: the global-log position of the last event whose
-- effects are committed in that projector's tables. The projector updates it
-- in the same transaction as its rows, and locks it (SELECT ... FOR UPDATE)
-- for the whole batch, which keeps one projector of a name active at a time
-- across replicas and pauses it while a rebuild swaps its tables.
CREATE TABLE projection_checkpoints (
    projector        text        PRIMARY KEY,
    commit_position  bigint      NOT NULL DEFAULT 0,
    prepare_position bigint      NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE projection_checkpoints;
