package gooauth2

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	oautherrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/server"

	"github.com/kvgen/kvgen/adapters/internal/clientview"
)

// ValidateURI is a manage.ValidateURIHandler: it accepts redirectURI when it
// is one of the redirect URIs of the client whose GetDomain is registered
// (the same string, or a loopback URI but for the port, RFC 8252).
func ValidateURI(registered, redirectURI string) error {
	if !clientview.RedirectAllowed(strings.Split(registered, domainSeparator), redirectURI) {
		return oautherrors.ErrInvalidRedirectURI
	}
	return nil
}

// ErrorRedirects returns the server.PreRedirectErrorHandler of srv: it sends
// an error of the authorization endpoint to the redirect URI of the request
// only when that URI is registered for the client, and otherwise answers
// 400 invalid_request itself, as RFC 6749 section 4.1.2.1 requires: an
// unknown client or an unregistered redirect URI must not be redirected to.
// Without it, go-oauth2 redirects every error to the redirect_uri of the
// request, whatever it is.
func (s *Store) ErrorRedirects(srv *server.Server) server.PreRedirectErrorHandler {
	return func(w http.ResponseWriter, req *server.AuthorizeRequest, err error) error {
		if req == nil {
			return err // go-oauth2 redirects nowhere without a request
		}
		if !s.redirectRegistered(req) {
			return refuseRedirect(w)
		}
		data, _, _ := srv.GetErrorData(err)
		uri, err := srv.GetRedirectURI(req, data)
		if err != nil {
			return err
		}
		w.Header().Set("Location", uri)
		w.WriteHeader(http.StatusFound)
		return nil
	}
}

// redirectRegistered reports whether the request's redirect_uri is one of
// its client's, or is absent for a client with a single one, which
// go-oauth2 then uses.
func (s *Store) redirectRegistered(req *server.AuthorizeRequest) bool {
	ctx := context.Background()
	if req.Request != nil {
		ctx = req.Request.Context()
	}
	c, err := s.get(ctx, req.ClientID)
	if err != nil {
		return false
	}
	if req.RedirectURI == "" {
		return len(c.record.RedirectURIs) == 1
	}
	return clientview.RedirectAllowed(c.record.RedirectURIs, req.RedirectURI)
}

func refuseRedirect(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusBadRequest)
	return json.NewEncoder(w).Encode(map[string]string{
		"error":             "invalid_request",
		"error_description": "the client is unknown or the redirect_uri is not registered for it",
	})
}
