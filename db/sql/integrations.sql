-- name: record
-- A second record of the same live key is the same call: the first one stands.
INSERT INTO integration_records (service, operation, sandbox, rep_id, prospect_id, external_id,
                                 request, response, idempotency_key, created_at)
VALUES (:service, :operation, :sandbox, :rep_id, :prospect_id, :external_id,
        :request, :response, :idempotency_key, :now)
ON CONFLICT (idempotency_key) WHERE undone_at IS NULL DO NOTHING
RETURNING *;

-- name: by_key
SELECT * FROM integration_records WHERE idempotency_key = :idempotency_key AND undone_at IS NULL;

-- name: undo
UPDATE integration_records SET undone_at = :now
 WHERE idempotency_key = :idempotency_key AND undone_at IS NULL
RETURNING *;

-- name: list
SELECT * FROM integration_records
 WHERE :service::text IS NULL OR service = :service
 ORDER BY id;

-- name: save_token
INSERT INTO oauth_tokens (rep_id, provider, ciphertext, scopes, expires_at, created_at, updated_at)
VALUES (:rep_id, :provider, :ciphertext, :scopes, :expires_at, :now, :now)
ON CONFLICT (rep_id, provider) DO UPDATE
   SET ciphertext = EXCLUDED.ciphertext,
       scopes = EXCLUDED.scopes,
       expires_at = EXCLUDED.expires_at,
       revoked_at = NULL,
       updated_at = EXCLUDED.updated_at;

-- name: get_token
SELECT * FROM oauth_tokens
 WHERE rep_id = :rep_id AND provider = :provider AND revoked_at IS NULL;

-- name: revoke_token
UPDATE oauth_tokens SET revoked_at = :now, updated_at = :now
 WHERE rep_id = :rep_id AND provider = :provider AND revoked_at IS NULL;

-- name: spend_state
INSERT INTO sign_in_states_used (nonce, rep_id, used_at) VALUES (:nonce, :rep_id, :now)
ON CONFLICT (nonce) DO NOTHING
RETURNING nonce;

-- name: delete_tokens
DELETE FROM oauth_tokens WHERE rep_id = :rep_id RETURNING *;
