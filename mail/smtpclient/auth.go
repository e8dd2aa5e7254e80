package smtpclient

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// mechanism is one SASL mechanism Postie can use.
type mechanism struct {
	token     bool // uses an OAuth token rather than a password
	newClient func(cfg Config) sasl.Client
}

var mechanisms = map[string]mechanism{
	"OAUTHBEARER": {token: true, newClient: func(cfg Config) sasl.Client {
		return oauthBearerClient{sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
			Username: cfg.Username, Token: cfg.Secret, Host: cfg.Host, Port: cfg.Port,
		})}
	}},
	"XOAUTH2": {token: true, newClient: func(cfg Config) sasl.Client {
		return &xoauth2Client{username: cfg.Username, token: cfg.Secret}
	}},
	"PLAIN": {newClient: func(cfg Config) sasl.Client {
		return sasl.NewPlainClient("", cfg.Username, cfg.Secret)
	}},
	"LOGIN": {newClient: func(cfg Config) sasl.Client {
		return &loginClient{username: cfg.Username, password: cfg.Secret}
	}},
	"CRAM-MD5": {newClient: func(cfg Config) sasl.Client {
		return &cramMD5Client{username: cfg.Username, password: cfg.Secret}
	}},
}

// mechanismOrder is Postie's preference, best first. A token account uses
// OAUTHBEARER (the standard, RFC 7628) before XOAUTH2 (Google's and
// Microsoft's older form). A password account uses PLAIN (RFC 4616, one
// round trip) before LOGIN (non-standard but widespread) before CRAM-MD5:
// inside TLS, CRAM-MD5 protects nothing more, and it forces the server to
// keep the password in a recoverable form, so it is only a last resort.
var mechanismOrder = []string{"OAUTHBEARER", "XOAUTH2", "PLAIN", "LOGIN", "CRAM-MD5"}

// chooseMechanism picks the best mechanism that the server offers, the
// account allows, and that fits the kind of secret.
func chooseMechanism(cfg Config, offered []string) (string, error) {
	isOffered := map[string]bool{}
	for _, m := range offered {
		isOffered[strings.ToUpper(m)] = true
	}
	allowed := map[string]bool{}
	for _, m := range cfg.Mechanisms {
		allowed[strings.ToUpper(m)] = true
	}
	var usable []string
	for _, name := range mechanismOrder {
		if mechanisms[name].token != cfg.OAuth || (len(allowed) > 0 && !allowed[name]) {
			continue
		}
		if isOffered[name] {
			return name, nil
		}
		usable = append(usable, name)
	}
	kind := "password"
	if cfg.OAuth {
		kind = "OAuth sign-in"
	}
	return "", fmt.Errorf("the server offers the sign-in methods %s, none of which this account can use with a %s (usable: %s)",
		strings.Join(offered, ", "), kind, strings.Join(usable, ", "))
}

// loginClient implements the LOGIN mechanism
// (draft-murchison-sasl-login). It sends no initial response, because some
// servers insist on prompting for the user name first, and it answers each
// prompt by what it asks for, falling back to the usual order (user name,
// then password) for prompts it does not recognise.
type loginClient struct {
	username, password string
	step               int
}

func (c *loginClient) Start() (string, []byte, error) {
	return "LOGIN", nil, nil
}

func (c *loginClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	prompt := strings.ToLower(string(challenge))
	switch {
	case strings.Contains(prompt, "user"):
		return []byte(c.username), nil
	case strings.Contains(prompt, "pass"):
		return []byte(c.password), nil
	case c.step == 1:
		return []byte(c.username), nil
	case c.step == 2:
		return []byte(c.password), nil
	}
	return nil, errors.New("unexpected LOGIN prompt from the server")
}

// cramMD5Client implements CRAM-MD5 (RFC 2195 §2): the response is the user
// name and the hex HMAC-MD5 of the server's challenge keyed with the password.
type cramMD5Client struct {
	username, password string
}

func (c *cramMD5Client) Start() (string, []byte, error) {
	return "CRAM-MD5", nil, nil
}

func (c *cramMD5Client) Next(challenge []byte) ([]byte, error) {
	mac := hmac.New(md5.New, []byte(c.password))
	mac.Write(challenge)
	return []byte(c.username + " " + hex.EncodeToString(mac.Sum(nil))), nil
}

// xoauth2Client implements XOAUTH2 as documented by Google and Microsoft:
// the initial response is "user=U^Aauth=Bearer T^A^A". On failure the
// server sends a base64 JSON error as a 334 challenge; the client answers
// with an empty line and the server then sends the final 5xx reply.
type xoauth2Client struct {
	username, token string
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

func (c *xoauth2Client) Next([]byte) ([]byte, error) {
	return []byte{}, nil
}

// oauthBearerClient wraps go-sasl's OAUTHBEARER client. go-sasl answers an
// error challenge by failing, which makes go-smtp cancel with "*" and hide
// the server's final reply; RFC 7628 §3.2.3 says to answer with a single
// %x01 instead, after which the server sends its 5xx reply.
type oauthBearerClient struct {
	sasl.Client
}

func (c oauthBearerClient) Next([]byte) ([]byte, error) {
	return []byte{0x01}, nil
}

// SupportedMechanisms lists the SASL mechanisms this package speaks, in
// Postie's order of preference.
func SupportedMechanisms() []string { return append([]string(nil), mechanismOrder...) }
