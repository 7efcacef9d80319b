package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/kvgen/kvgen/generated/oauthclients"
	"github.com/kvgen/kvgen/kv"
)

// Token endpoint authentication methods (RFC 7591 section 2).
const (
	authNone          = "none"
	authSecretPost    = "client_secret_post"
	authSecretBasic   = "client_secret_basic"
	authPrivateKeyJWT = "private_key_jwt"
)

// Grant and response types this server registers clients for. OAuth 2.1
// drops the implicit and password grants, so they are not offered.
const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantClientCredentials = "client_credentials"
	responseCode           = "code"
)

var (
	knownAuthMethods = []string{authNone, authSecretPost, authSecretBasic, authPrivateKeyJWT}
	knownGrantTypes  = []string{grantAuthorizationCode, grantRefreshToken, grantClientCredentials}
)

// clientMetadataMembers are the members of a registration request the
// client controls (RFC 7591 section 2, and OpenID's application_type). The
// server ignores every other member of a request (RFC 7591 section 2: it
// "MUST ignore any client metadata sent by the client that it does not
// understand"), and above all never takes a client_id, a secret or a
// timestamp from the client.
var clientMetadataMembers = []string{
	"redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types",
	"client_name", "client_uri", "logo_uri", "scope", "contacts", "tos_uri", "policy_uri",
	"jwks_uri", "jwks", "software_id", "software_version", "application_type",
}

// forbiddenInUpdate are the members RFC 7592 section 2.2 forbids in an
// update request: the server issues them.
var forbiddenInUpdate = []string{
	"registration_access_token", "registration_client_uri",
	"client_secret_expires_at", "client_id_issued_at",
}

// Error codes of RFC 7591 section 3.2.2.
const (
	errInvalidRedirectURI    = "invalid_redirect_uri"
	errInvalidClientMetadata = "invalid_client_metadata"
)

// metadataError is a rejected registration or update: an RFC 7591 error
// code, and a description that names fields, not their values.
type metadataError struct {
	status      int
	code        string
	description string
}

func invalidMetadata(format string, args ...any) *metadataError {
	return &metadataError{http.StatusBadRequest, errInvalidClientMetadata, fmt.Sprintf(format, args...)}
}

func invalidRedirect(format string, args ...any) *metadataError {
	return &metadataError{http.StatusBadRequest, errInvalidRedirectURI, fmt.Sprintf(format, args...)}
}

// decodeRequestObject reads the request body as one JSON object, keeping
// its members raw. Nothing but white space may follow the object.
func decodeRequestObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, *metadataError) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mediaType, _, err := mime.ParseMediaType(ct); err != nil || mediaType != "application/json" {
			return nil, invalidMetadata("the request body must be application/json")
		}
	}
	members, err := decodeObject(http.MaxBytesReader(w, r.Body, maxMetadataBytes))
	if errors.Is(err, errAfterObject) {
		return nil, invalidMetadata("the request body holds more than the JSON object")
	}
	if err != nil {
		return nil, bodyError(err, "the request body is not a JSON object")
	}
	return members, nil
}

// errAfterObject is something other than white space after a JSON object.
var errAfterObject = errors.New("data after the JSON object")

// decodeObject reads one JSON object from r, keeping its members raw.
// Nothing but white space may follow it (errAfterObject).
func decodeObject(r io.Reader) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(r)
	var members map[string]json.RawMessage
	if err := dec.Decode(&members); err != nil {
		return nil, err
	}
	if members == nil {
		return nil, errors.New("null is not a JSON object")
	}
	// Token reads past white space: io.EOF, or what follows the object (a
	// stray '}' or ']' too, which More would not report).
	switch _, err := dec.Token(); {
	case err == io.EOF:
		return members, nil
	case err == nil:
		return nil, errAfterObject
	default:
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, errAfterObject
	}
}

// bodyError is the answer to a request body that failed to decode with err
// (nil when the body decoded but is not acceptable): 413 for a body over
// maxMetadataBytes, else 400 with description.
func bodyError(err error, description string) *metadataError {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &metadataError{http.StatusRequestEntityTooLarge, errInvalidClientMetadata,
			fmt.Sprintf("the request body exceeds %d bytes", maxMetadataBytes)}
	}
	return invalidMetadata("%s", description)
}

// clientMetadataOf keeps the members of a request that the client controls.
func clientMetadataOf(members map[string]json.RawMessage) map[string]json.RawMessage {
	md := make(map[string]json.RawMessage, len(clientMetadataMembers))
	for _, name := range clientMetadataMembers {
		if v, ok := members[name]; ok {
			md[name] = v
		}
	}
	return md
}

// withMetadata returns base with its client metadata replaced by md, as
// RFC 7592 section 2.2 has it: a member left out is deleted. Everything else
// of base is kept, including members this server does not know (written by
// a newer schema or by FastMCP), which the record carries through JSON.
func withMetadata(base oauthclients.Client, md map[string]json.RawMessage) (oauthclients.Client, *metadataError) {
	baseJSON, err := base.MarshalJSON()
	if err != nil {
		return oauthclients.Client{}, &metadataError{http.StatusInternalServerError, "server_error", "internal error"}
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(baseJSON, &members); err != nil {
		return oauthclients.Client{}, &metadataError{http.StatusInternalServerError, "server_error", "internal error"}
	}
	for _, name := range clientMetadataMembers {
		delete(members, name)
	}
	// The wire form redacts the secret and shows the token's digest: both are
	// copied over as values below rather than read back from JSON.
	delete(members, "client_secret")
	delete(members, "registration_access_token")
	for name, v := range md {
		members[name] = v
	}
	merged, err := json.Marshal(members)
	if err != nil {
		return oauthclients.Client{}, invalidMetadata("the request body is not valid JSON")
	}
	var c oauthclients.Client
	if err := c.UnmarshalJSON(merged); err != nil {
		return oauthclients.Client{}, invalidMetadata("malformed client metadata: %s", describeDecodeError(err))
	}
	c.ClientSecret = base.ClientSecret
	c.RegistrationAccessToken = base.RegistrationAccessToken
	return c, nil
}

// describeDecodeError says which member had the wrong JSON type, without
// echoing its value.
func describeDecodeError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" && typeErr.Type != nil {
		return fmt.Sprintf("%s must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind()))
	}
	var ve *kv.ValidationError
	if errors.As(err, &ve) {
		return strings.Join(ve.Paths(), ", ")
	}
	return "a member has the wrong JSON type"
}

// jsonKind names the JSON type that decodes into a Go kind.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	}
	return "value of another type"
}

// completeMetadata applies the defaults of RFC 7591 section 2 and checks the
// metadata of c, which md (the client's own members) was decoded into.
func completeMetadata(c *oauthclients.Client, md map[string]json.RawMessage) *metadataError {
	if len(c.RedirectURIs) == 0 {
		return invalidRedirect("redirect_uris is required and must hold at least one URI")
	}
	for i, raw := range c.RedirectURIs {
		if err := checkRedirectURI(raw); err != nil {
			return invalidRedirect("redirect_uris[%d]: %s", i, err)
		}
	}

	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = authSecretBasic
	}
	method := c.TokenEndpointAuthMethod
	if !slices.Contains(knownAuthMethods, method) {
		return invalidMetadata("token_endpoint_auth_method must be one of %s", strings.Join(knownAuthMethods, ", "))
	}
	hasJWKS, hasJWKSURI := present(md, "jwks"), present(md, "jwks_uri")
	if hasJWKS && hasJWKSURI {
		return invalidMetadata("jwks and jwks_uri must not both be given (RFC 7591 section 2)")
	}
	if method == authPrivateKeyJWT && !hasJWKS && !hasJWKSURI {
		return invalidMetadata("private_key_jwt needs the client's keys in jwks or jwks_uri")
	}

	// Defaults apply to members left out (or null), not to empty lists: the
	// record's decoder reads [] as nil, which would turn [] into the default.
	if !present(md, "grant_types") {
		c.GrantTypes = []string{grantAuthorizationCode, grantRefreshToken}
	}
	if len(c.GrantTypes) == 0 {
		return invalidMetadata("grant_types must not be empty")
	}
	for i, g := range c.GrantTypes {
		if !slices.Contains(knownGrantTypes, g) {
			return invalidMetadata("grant_types[%d] is not supported; this server supports %s", i, strings.Join(knownGrantTypes, ", "))
		}
	}
	if slices.Contains(c.GrantTypes, grantClientCredentials) && method == authNone {
		return invalidMetadata("client_credentials needs a confidential client: token_endpoint_auth_method none cannot use it")
	}

	codeFlow := slices.Contains(c.GrantTypes, grantAuthorizationCode)
	if !present(md, "response_types") && codeFlow {
		c.ResponseTypes = []string{responseCode}
	}
	for i, rt := range c.ResponseTypes {
		if rt != responseCode {
			return invalidMetadata("response_types[%d] is not supported; this server supports only code", i)
		}
	}
	// RFC 7591 section 2.1: grant and response types must agree.
	if slices.Contains(c.ResponseTypes, responseCode) != codeFlow {
		return invalidMetadata("response_types code goes with grant_types authorization_code, and neither without the other")
	}
	return nil
}

// checkRecord applies the schema's own checks (required fields, enums,
// URLs) to a client whose server-issued fields are set, and turns a
// failure into an RFC 7591 error.
func checkRecord(c *oauthclients.Client) *metadataError {
	if err := c.Validate(); err != nil {
		var ve *kv.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Paths() {
				if strings.HasPrefix(p, "redirect_uris") {
					return invalidRedirect("invalid: %s", describeProblems(ve))
				}
			}
			return invalidMetadata("invalid: %s", describeProblems(ve))
		}
		return invalidMetadata("invalid client metadata")
	}
	return nil
}

// describeProblems lists the failing fields and why; the store's messages
// never carry a field's value.
func describeProblems(ve *kv.ValidationError) string {
	parts := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		parts[i] = p.Path + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}

// present reports whether md holds name with a value other than null.
func present(md map[string]json.RawMessage, name string) bool {
	v, ok := md[name]
	return ok && strings.TrimSpace(string(v)) != "null"
}

// checkRedirectURI accepts the redirect URIs of OAuth 2.1 and RFC 8252
// (native apps), as kv.RedirectSchemes has them: https, http on a loopback
// host, and private-use schemes of native apps (com.example.app:/callback,
// or one that MCP clients register, such as cursor://); every other scheme
// is refused. The schema's redirect_uris field has the same schemes, so a
// stored client always passes. On top of that, OAuth's own rules: no
// fragment (RFC 6749 section 3.1.2) and no user information, which the store
// leaves to the server since clients that Python wrote may hold them.
func checkRedirectURI(raw string) error {
	if msg := kv.CheckURL(raw, kv.RedirectSchemes); msg != "" {
		return errors.New(msg)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL") // kv.CheckURL has parsed it already
	case strings.Contains(raw, "#"):
		return errors.New("has a fragment, which a redirect URI must not have")
	case u.User != nil:
		return errors.New("has user information, which a redirect URI must not have")
	}
	return nil
}
