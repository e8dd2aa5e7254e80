package testpeer

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// ErrAuthFailed is the server's reply to wrong credentials.
var ErrAuthFailed = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}

// CRAMChallenge is the challenge the server's CRAM-MD5 sends.
const CRAMChallenge = "<12345.67890@" + Domain + ">"

// Auth implements smtp.AuthSession: the server side of each mechanism.
func (s *session) Auth(mech string) (sasl.Server, error) {
	s.b.mu.Lock()
	s.b.authCalls++
	s.b.mu.Unlock()
	// check accepts the client's user and secret when they are the
	// backend's user and want, and records the mechanism it signed in with.
	check := func(user, secret, want string) error {
		if s.b.AuthErr != nil {
			return s.b.AuthErr
		}
		if user != s.b.User || secret != want {
			return ErrAuthFailed
		}
		s.mechanism = mech
		return nil
	}
	// checkToken is check for a bearer token, asking ValidToken if set.
	checkToken := func(user, token string) error {
		if s.b.ValidToken == nil {
			return check(user, token, s.b.Token)
		}
		if s.b.AuthErr == nil && user == s.b.User && !s.b.ValidToken(user, token) {
			return ErrAuthFailed
		}
		return check(user, token, token)
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass, s.b.Password) }), nil
	case sasl.Login:
		return &loginServer{check: func(user, pass string) error { return check(user, pass, s.b.Password) }}, nil
	case "CRAM-MD5":
		return &cramServer{secret: s.b.Password, check: check}, nil
	case "XOAUTH2":
		return &xoauth2Server{check: checkToken}, nil
	case sasl.OAuthBearer:
		return finalReply{sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if checkToken(o.Username, o.Token) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		})}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of LOGIN, prompting for each part.
type loginServer struct {
	check func(user, pass string) error
	user  *string
}

func (s *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch {
	case resp == nil:
		return []byte("Username:"), false, nil
	case s.user == nil:
		user := string(resp)
		s.user = &user
		return []byte("Password:"), false, nil
	}
	return nil, true, s.check(*s.user, string(resp))
}

// cramServer is the server side of CRAM-MD5 (RFC 2195).
type cramServer struct {
	secret    string
	check     func(user, secret, want string) error
	challenge string
}

func (s *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if s.challenge == "" {
		s.challenge = CRAMChallenge
		return []byte(s.challenge), false, nil
	}
	user, digest, _ := strings.Cut(string(resp), " ")
	mac := hmac.New(md5.New, []byte(s.secret))
	mac.Write([]byte(s.challenge))
	if hex.EncodeToString(mac.Sum(nil)) != digest {
		return nil, true, ErrAuthFailed
	}
	return nil, true, s.check(user, s.secret, s.secret)
}

// xoauth2Server is the server side of XOAUTH2 as Google documents it: a
// failure is a JSON challenge, answered by an empty line, then 535.
type xoauth2Server struct {
	check  func(user, token string) error
	failed error
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.failed != nil {
		return nil, true, s.failed
	}
	fields := strings.Split(string(resp), "\x01")
	user := strings.TrimPrefix(fields[0], "user=")
	token := ""
	if len(fields) > 1 {
		token = strings.TrimPrefix(fields[1], "auth=Bearer ")
	}
	if err := s.check(user, token); err != nil {
		s.failed = err
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.example.test/"}`), false, nil
	}
	return nil, true, nil
}

// finalReply makes the final refusal of an OAUTHBEARER exchange, after the
// client answered the error challenge with %x01 (RFC 7628 §3.2.3), the
// 535 5.7.8 that Gmail and Microsoft send, instead of go-smtp's 454 for
// an error that is not an SMTP reply.
type finalReply struct{ sasl.Server }

func (s finalReply) Next(resp []byte) ([]byte, bool, error) {
	challenge, done, err := s.Server.Next(resp)
	var bearer *sasl.OAuthBearerError
	if errors.As(err, &bearer) {
		err = ErrAuthFailed
	}
	return challenge, done, err
}
