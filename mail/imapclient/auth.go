package imapclient

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
)

// signIn signs in with the account's secret: a password with AUTHENTICATE
// PLAIN (RFC 4616) where offered, else the LOGIN command (RFC 9051
// §6.2.3), else AUTHENTICATE LOGIN; a token with OAUTHBEARER (RFC 7628),
// else XOAUTH2 (Google's and Microsoft's form). A token the server refuses
// is renewed once through Config.Tokens and tried again.
func (c *Client) signIn(ctx context.Context) error {
	if c.imap.State() == imap.ConnStateAuthenticated {
		return nil // PREAUTH, only possible inside TLS or on loopback
	}
	var caps imap.CapSet
	if err := c.step(ctx, StageAuth, func() error {
		if caps = c.imap.Caps(); caps == nil {
			return errors.New("no capabilities")
		}
		return nil
	}); err != nil {
		return err
	}
	if !c.cfg.OAuth {
		return c.signInWithPassword(ctx, caps)
	}
	mech := ""
	switch {
	case caps.Has("AUTH=OAUTHBEARER"):
		mech = "OAUTHBEARER"
	case caps.Has("AUTH=XOAUTH2"):
		mech = "XOAUTH2"
	default:
		return c.newError(StageAuth, Permanent, ReasonNoUsableMechanism)
	}
	token, err := c.token(ctx, false)
	if err != nil {
		return err
	}
	err = c.authenticate(ctx, c.tokenClient(mech, token), token)
	var e *Error
	if c.cfg.Tokens == nil || !errors.As(err, &e) || e.Reason != ReasonLoginRefused {
		return err
	}
	if token, err = c.token(ctx, true); err != nil {
		return err
	}
	return c.authenticate(ctx, c.tokenClient(mech, token), token)
}

func (c *Client) signInWithPassword(ctx context.Context, caps imap.CapSet) error {
	user, pass := c.cfg.Username, c.cfg.Secret
	plain := "\x00" + user + "\x00" + pass
	c.log.secrets(pass, base64.StdEncoding.EncodeToString([]byte(plain)),
		base64.StdEncoding.EncodeToString([]byte(pass)), strconv.Quote(pass), goIMAPQuoted(pass))
	switch {
	case caps.Has("AUTH=PLAIN"):
		return c.authenticate(ctx, sasl.NewPlainClient("", user, pass), pass)
	case !caps.Has(imap.CapLoginDisabled):
		return c.step(ctx, StageAuth, func() error { return c.imap.Login(user, pass).Wait() })
	case caps.Has("AUTH=LOGIN"):
		return c.authenticate(ctx, &loginClient{user: user, pass: pass}, pass)
	}
	return c.newError(StageAuth, Permanent, ReasonNoUsableMechanism)
}

// goIMAPQuoted is a string as go-imap sends it quoted (imapwire's
// quoted-string: only \ and " escaped, a tab as it is), which neither the
// bare password nor strconv.Quote matches when it holds both.
func goIMAPQuoted(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// token asks the token source, or takes Secret.
func (c *Client) token(ctx context.Context, renew bool) (string, error) {
	if c.cfg.Tokens == nil {
		return c.cfg.Secret, nil
	}
	token, err := c.cfg.Tokens.AccessToken(ctx, renew)
	if err != nil {
		var needs interface{ NeedsSignIn() bool }
		e := c.newError(StageAuth, Temporary, ReasonTokenUnavailable)
		if errors.As(err, &needs) && needs.NeedsSignIn() {
			e.Class, e.Reason = Permanent, ReasonSignInNeeded
		}
		e.Err = err
		return "", e
	}
	return token, nil
}

func (c *Client) tokenClient(mech, token string) sasl.Client {
	if mech == "OAUTHBEARER" {
		opts := &sasl.OAuthBearerOptions{Username: c.cfg.Username, Token: token, Host: c.cfg.Host, Port: c.cfg.Port}
		return oauthBearerClient{sasl.NewOAuthBearerClient(opts)}
	}
	return &xoauth2Client{user: c.cfg.Username, token: token}
}

// authenticate runs AUTHENTICATE, keeping secret and the mechanism's
// encodings of it out of the transcript.
func (c *Client) authenticate(ctx context.Context, client sasl.Client, secret string) error {
	_, ir, _ := client.Start()
	c.log.secrets(secret, base64.StdEncoding.EncodeToString(ir), base64.StdEncoding.EncodeToString([]byte(secret)))
	// Start again: the clients above hold no state between Start calls.
	return c.step(ctx, StageAuth, func() error { return c.imap.Authenticate(client) })
}

// loginClient is the LOGIN mechanism (draft-murchison-sasl-login): user
// name, then password, whatever the prompts say.
type loginClient struct {
	user, pass string
	step       int
}

func (l *loginClient) Start() (string, []byte, error) { l.step = 0; return "LOGIN", nil, nil }
func (l *loginClient) Next([]byte) ([]byte, error) {
	l.step++
	if l.step == 1 {
		return []byte(l.user), nil
	}
	return []byte(l.pass), nil
}

// xoauth2Client is XOAUTH2 as Google and Microsoft document it. A refusal
// comes as a challenge holding JSON, answered with an empty line, after
// which the server sends its NO.
type xoauth2Client struct{ user, token string }

func (x *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}
func (x *xoauth2Client) Next([]byte) ([]byte, error) { return []byte{}, nil }

// oauthBearerClient answers OAUTHBEARER's error challenge with %x01 (RFC
// 7628 §3.2.3) so that the server sends its NO, where go-sasl would fail
// and leave the command hanging.
type oauthBearerClient struct{ sasl.Client }

func (o oauthBearerClient) Next([]byte) ([]byte, error) { return []byte{0x01}, nil }
