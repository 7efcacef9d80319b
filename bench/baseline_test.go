package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvgen/kvgen/kv"
)

// The baseline is what a careful developer writes by hand for the same job:
// the same SQL as the generated store (TestBaselineSQL holds them equal),
// pgx with its default statement cache, encoding/json into a plain struct,
// hand-written validation, and the same Fernet calls through the same key
// ring. It does less than the generated store: it keeps no unknown members,
// reads no plaintext written before encryption, and has no TTLs.

// SQL of the generated store (queries/fieldsclients.queries.sql as sqlc
// numbers its parameters), without sqlc's name comment.
const (
	sqlGet = `SELECT value, expires_at, now()::timestamptz AS now
FROM oauth_clients
WHERE collection = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > now())
`
	sqlGetMany = `SELECT key, value, expires_at, now()::timestamptz AS now
FROM oauth_clients
WHERE collection = $1 AND key = ANY($2::text[]) AND (expires_at IS NULL OR expires_at > now())
`
	sqlPut = `INSERT INTO oauth_clients AS t (collection, key, value, ttl, created_at, expires_at)
VALUES ($1, $2, ($3::text)::jsonb, $4::float8, now(), now() + $4::float8 * interval '1 second')
ON CONFLICT (collection, key) DO UPDATE SET
  value = EXCLUDED.value, ttl = EXCLUDED.ttl, expires_at = EXCLUDED.expires_at,
  created_at = CASE WHEN t.expires_at <= now() THEN EXCLUDED.created_at ELSE COALESCE(t.created_at, EXCLUDED.created_at) END
`
	sqlPutMany = `INSERT INTO oauth_clients AS t (collection, key, value, ttl, created_at, expires_at)
SELECT $1, u.k, u.v::jsonb, $2::float8, now(), now() + $2::float8 * interval '1 second'
FROM (SELECT unnest($3::text[]) AS k, unnest($4::text[]) AS v) AS u
ORDER BY u.k COLLATE "C"
ON CONFLICT (collection, key) DO UPDATE SET
  value = EXCLUDED.value, ttl = EXCLUDED.ttl, expires_at = EXCLUDED.expires_at,
  created_at = CASE WHEN t.expires_at <= now() THEN EXCLUDED.created_at ELSE COALESCE(t.created_at, EXCLUDED.created_at) END
`
	sqlDelete = `WITH d AS (
  DELETE FROM oauth_clients WHERE collection = $1 AND key = $2 RETURNING expires_at
)
SELECT count(*) FILTER (WHERE expires_at IS NULL OR expires_at > now()) FROM d
`
	sqlDeleteMany = `WITH locked AS MATERIALIZED (
  SELECT l.key FROM oauth_clients AS l WHERE l.collection = $1 AND l.key = ANY($2::text[])
  ORDER BY l.key COLLATE "C" FOR UPDATE
), d AS (
  DELETE FROM oauth_clients AS t USING locked
  WHERE t.collection = $1 AND t.key = locked.key RETURNING t.expires_at
)
SELECT count(*) FILTER (WHERE expires_at IS NULL OR expires_at > now()) FROM d
`
)

// Client is the baseline's record: the fields of schema/oauth_clients.yaml
// with encoding/json tags. Optional values are pointers (or nil slices), so
// that absent ones are written as null, as Python writes them (see
// docs/python-interop.md): the baseline stores the same document as the
// generated store, and the database does the same work for both.
type Client struct {
	RedirectURIs               []string        `json:"redirect_uris"`
	TokenEndpointAuthMethod    string          `json:"token_endpoint_auth_method"`
	GrantTypes                 []string        `json:"grant_types"`
	ResponseTypes              []string        `json:"response_types"`
	Scope                      *string         `json:"scope"`
	ClientName                 *string         `json:"client_name"`
	ClientURI                  *string         `json:"client_uri"`
	LogoURI                    *string         `json:"logo_uri"`
	Contacts                   []string        `json:"contacts"`
	TosURI                     *string         `json:"tos_uri"`
	PolicyURI                  *string         `json:"policy_uri"`
	JWKSURI                    *string         `json:"jwks_uri"`
	JWKS                       json.RawMessage `json:"jwks"`
	SoftwareID                 *string         `json:"software_id"`
	SoftwareVersion            *string         `json:"software_version"`
	ClientID                   string          `json:"client_id"`
	ClientSecret               *string         `json:"client_secret"`
	ClientIDIssuedAt           *int64          `json:"client_id_issued_at"`
	ClientSecretExpiresAt      *int64          `json:"client_secret_expires_at"`
	CimdDocument               *CimdDocument   `json:"cimd_document"`
	AllowedRedirectURIPatterns []string        `json:"allowed_redirect_uri_patterns"`
	CimdFetchedAt              *float64        `json:"cimd_fetched_at"`
	RegistrationAccessToken    *string         `json:"registration_access_token"`
	RegistrationClientURI      *string         `json:"registration_client_uri"`
	ApplicationType            *string         `json:"application_type"`
	Issuer                     *string         `json:"issuer"`
}

// CimdDocument is the baseline's client ID metadata document.
type CimdDocument struct {
	ClientID                string          `json:"client_id"`
	ClientName              *string         `json:"client_name"`
	ClientURI               *string         `json:"client_uri"`
	LogoURI                 *string         `json:"logo_uri"`
	RedirectURIs            []string        `json:"redirect_uris"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	GrantTypes              []string        `json:"grant_types"`
	ResponseTypes           []string        `json:"response_types"`
	Scope                   *string         `json:"scope"`
	Contacts                []string        `json:"contacts"`
	TosURI                  *string         `json:"tos_uri"`
	PolicyURI               *string         `json:"policy_uri"`
	JWKSURI                 *string         `json:"jwks_uri"`
	JWKS                    json.RawMessage `json:"jwks"`
	SoftwareID              *string         `json:"software_id"`
	SoftwareVersion         *string         `json:"software_version"`
}

// envelope is py-key-value's FernetEncryptionWrapper format.
type envelope struct {
	Data    string `json:"__encrypted_data__"`
	Version int    `json:"__encryption_version__"`
}

// sealedClient is Client as stored with encryption: fields: the secret's
// member is an envelope (this field shadows the embedded one).
type sealedClient struct {
	Client
	ClientSecret *envelope `json:"client_secret"`
}

func (c *Client) validate() error {
	var problems []string
	if c.ClientID == "" {
		problems = append(problems, "client_id: required")
	}
	if len(c.RedirectURIs) == 0 {
		problems = append(problems, "redirect_uris: required")
	}
	for i, u := range c.RedirectURIs {
		if !validURL(u) {
			problems = append(problems, fmt.Sprintf("redirect_uris[%d]: not an absolute URL", i))
		}
	}
	switch c.TokenEndpointAuthMethod {
	case "", "none", "client_secret_post", "client_secret_basic", "private_key_jwt":
	default:
		problems = append(problems, "token_endpoint_auth_method: unknown")
	}
	for _, f := range [...]struct {
		name string
		url  *string
	}{
		{"client_uri", c.ClientURI}, {"logo_uri", c.LogoURI}, {"tos_uri", c.TosURI}, {"policy_uri", c.PolicyURI},
		{"jwks_uri", c.JWKSURI}, {"registration_client_uri", c.RegistrationClientURI},
	} {
		if f.url != nil && !validURL(*f.url) {
			problems = append(problems, f.name+": not an absolute URL")
		}
	}
	if d := c.CimdDocument; d != nil {
		if !validURL(d.ClientID) {
			problems = append(problems, "cimd_document.client_id: not an absolute URL")
		}
		switch d.TokenEndpointAuthMethod {
		case "", "none", "private_key_jwt":
		default:
			problems = append(problems, "cimd_document.token_endpoint_auth_method: unknown")
		}
		for _, f := range [...]struct {
			name string
			url  *string
		}{
			{"client_uri", d.ClientURI}, {"logo_uri", d.LogoURI}, {"tos_uri", d.TosURI}, {"policy_uri", d.PolicyURI}, {"jwks_uri", d.JWKSURI},
		} {
			if f.url != nil && !validURL(*f.url) {
				problems = append(problems, "cimd_document."+f.name+": not an absolute URL")
			}
		}
	}
	if len(problems) > 0 {
		return errors.New("invalid client: " + strings.Join(problems, "; "))
	}
	return nil
}

// withDefaults returns c with the schema's defaults in place of empty values.
func (c Client) withDefaults() Client {
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = "client_secret_basic"
	}
	if c.CimdDocument != nil && c.CimdDocument.TokenEndpointAuthMethod == "" {
		d := *c.CimdDocument
		d.TokenEndpointAuthMethod = "none"
		c.CimdDocument = &d
	}
	return c
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || u.Path != "") && !strings.ContainsAny(s, " \t\r\n")
}

// baseline is the hand-written store of one encryption mode.
type baseline struct {
	pool       *pgxpool.Pool
	ring       *kv.KeyRing // nil with encryption: none
	mode       string      // "none", "fields" or "value"
	collection string
}

func (s *baseline) seal(plaintext []byte) (*envelope, error) {
	token, err := s.ring.Encrypt(plaintext)
	if err != nil {
		return nil, err
	}
	return &envelope{Data: base64.StdEncoding.EncodeToString(token), Version: 1}, nil
}

func (s *baseline) open(env *envelope) ([]byte, error) {
	if env.Version != 1 {
		return nil, fmt.Errorf("envelope version %d", env.Version)
	}
	token, err := base64.StdEncoding.DecodeString(env.Data)
	if err != nil {
		return nil, err
	}
	return s.ring.Decrypt(token)
}

// bindSecret and unbindSecret write and check what encryption: fields puts
// before a sealed member's JSON in its plaintext: "\x00kv", version 1, and 16
// bytes of SHA-256 of the length-prefixed collection, key and member name,
// which bind it to the record it is stored in.
func bindSecret(collection, key string, secret []byte) []byte {
	d := placeDigest(collection, key, "client_secret")
	return append(append([]byte("\x00kv\x01"), d[:16]...), secret...)
}

func unbindSecret(collection, key string, plaintext []byte) ([]byte, error) {
	d := placeDigest(collection, key, "client_secret")
	header := append([]byte("\x00kv\x01"), d[:16]...)
	if !bytes.HasPrefix(plaintext, header) {
		return nil, errors.New("client_secret is not sealed for this record")
	}
	return plaintext[len(header):], nil
}

func placeDigest(parts ...string) [sha256.Size]byte {
	var buf []byte
	for _, p := range parts {
		buf = binary.AppendUvarint(buf, uint64(len(p)))
		buf = append(buf, p...)
	}
	return sha256.Sum256(buf)
}

func (s *baseline) encode(in *Client) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	c := in.withDefaults()
	switch s.mode {
	case "fields":
		stored := sealedClient{Client: c}
		if c.ClientSecret != nil {
			plain, err := json.Marshal(*c.ClientSecret)
			if err != nil {
				return nil, err
			}
			if stored.ClientSecret, err = s.seal(bindSecret(s.collection, c.ClientID, plain)); err != nil {
				return nil, err
			}
		}
		return json.Marshal(&stored)
	case "value":
		plain, err := json.Marshal(&c)
		if err != nil {
			return nil, err
		}
		env, err := s.seal(plain)
		if err != nil {
			return nil, err
		}
		return json.Marshal(env)
	}
	return json.Marshal(&c)
}

func (s *baseline) decode(key string, data []byte) (Client, error) {
	switch s.mode {
	case "fields":
		var stored sealedClient
		if err := json.Unmarshal(data, &stored); err != nil {
			return Client{}, err
		}
		if stored.ClientSecret != nil {
			plain, err := s.open(stored.ClientSecret)
			if err != nil {
				return Client{}, err
			}
			if plain, err = unbindSecret(s.collection, key, plain); err != nil {
				return Client{}, err
			}
			if err := json.Unmarshal(plain, &stored.Client.ClientSecret); err != nil {
				return Client{}, err
			}
		}
		return stored.Client, nil
	case "value":
		var env envelope
		if err := json.Unmarshal(data, &env); err != nil {
			return Client{}, err
		}
		plain, err := s.open(&env)
		if err != nil {
			return Client{}, err
		}
		data = plain
	}
	var c Client
	err := json.Unmarshal(data, &c)
	return c, err
}

func (s *baseline) Get(ctx context.Context, clientID string) (Client, bool, error) {
	var (
		value        []byte
		expires, now pgtype.Timestamptz
	)
	err := s.pool.QueryRow(ctx, sqlGet, s.collection, clientID).Scan(&value, &expires, &now)
	if errors.Is(err, pgx.ErrNoRows) {
		return Client{}, false, nil
	}
	if err != nil {
		return Client{}, false, err
	}
	c, err := s.decode(clientID, value)
	return c, err == nil, err
}

func (s *baseline) GetMany(ctx context.Context, clientIDs []string) ([]kv.Entry[Client], error) {
	rows, err := s.pool.Query(ctx, sqlGetMany, s.collection, clientIDs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	first := make(map[string]int, len(clientIDs))
	for i, id := range clientIDs {
		if _, seen := first[id]; !seen {
			first[id] = i
		}
	}
	out := make([]kv.Entry[Client], len(clientIDs))
	for rows.Next() {
		var (
			key          string
			value        []byte
			expires, now pgtype.Timestamptz
		)
		if err := rows.Scan(&key, &value, &expires, &now); err != nil {
			return nil, err
		}
		c, err := s.decode(key, value)
		if err != nil {
			return nil, fmt.Errorf("client %s: %w", key, err)
		}
		out[first[key]] = kv.Entry[Client]{Value: c, Found: true}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, id := range clientIDs {
		if j := first[id]; j != i {
			out[i] = out[j]
		}
	}
	return out, nil
}

func (s *baseline) Put(ctx context.Context, c Client) error {
	data, err := s.encode(&c)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, sqlPut, s.collection, c.ClientID, string(data), nil)
	return err
}

func (s *baseline) PutMany(ctx context.Context, cs []Client) error {
	keys := make([]string, len(cs))
	values := make([]string, len(cs))
	for i := range cs {
		data, err := s.encode(&cs[i])
		if err != nil {
			return fmt.Errorf("client %s: %w", cs[i].ClientID, err)
		}
		keys[i], values[i] = cs[i].ClientID, string(data)
	}
	_, err := s.pool.Exec(ctx, sqlPutMany, s.collection, nil, keys, values)
	return err
}

func (s *baseline) Delete(ctx context.Context, clientID string) (bool, error) {
	var n int64
	err := s.pool.QueryRow(ctx, sqlDelete, s.collection, clientID).Scan(&n)
	return n > 0, err
}

func (s *baseline) DeleteMany(ctx context.Context, clientIDs []string) (int, error) {
	var n int64
	err := s.pool.QueryRow(ctx, sqlDeleteMany, s.collection, clientIDs).Scan(&n)
	return int(n), err
}
