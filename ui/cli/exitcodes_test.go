package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

func smtpErr(stage smtpclient.Stage, class smtpclient.Class) *smtpclient.Error {
	return &smtpclient.Error{Stage: stage, Class: class}
}

func TestExitCodeOfEachError(t *testing.T) {
	withCert := smtpErr(smtpclient.StageTLS, smtpclient.Permanent)
	withCert.Certificate = &smtpclient.CertInfo{SHA256: "ab"}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"no error", nil, ExitOK},
		{"settings refused before any network", smtpErr(smtpclient.StageConfig, smtpclient.Permanent), ExitConfig},
		{"untrusted certificate", withCert, ExitConfig},
		{"server speaks no TLS", smtpErr(smtpclient.StageTLS, smtpclient.Permanent), ExitConfig},
		{"TLS handshake cut short", smtpErr(smtpclient.StageTLS, smtpclient.Temporary), ExitTempFail},
		{"password refused", smtpErr(smtpclient.StageAuth, smtpclient.Permanent), ExitNoPerm},
		{"sign-in busy", smtpErr(smtpclient.StageAuth, smtpclient.Temporary), ExitTempFail},
		{"recipient refused", smtpErr(smtpclient.StageRcpt, smtpclient.Permanent), ExitUnavailable},
		{"server unreachable", smtpErr(smtpclient.StageConnect, smtpclient.Temporary), ExitTempFail},
		{"lost after the final dot", smtpErr(smtpclient.StageAfterData, smtpclient.UnknownOutcome), ExitUnknown},
		{"wrapped SMTP error", fmt.Errorf("sending: %w", smtpErr(smtpclient.StageAuth, smtpclient.Permanent)), ExitNoPerm},
		{"no password store", &accounts.KeyringError{Problem: accounts.KeyringUnavailable}, ExitConfig},
		{"password store locked", &accounts.KeyringError{Problem: accounts.KeyringLocked}, ExitTempFail},
		{"password store silent", &accounts.KeyringError{Problem: accounts.KeyringTimedOut}, ExitTempFail},
		{"password store broken", &accounts.KeyringError{Problem: accounts.KeyringFailed}, ExitIOErr},
		{"another Postie busy signing in", &accounts.SignInBusyError{Waited: time.Minute}, ExitTempFail},
		{"no saved password", accounts.ErrNoSecret, ExitConfig},
		{"no account yet", fmt.Errorf("choosing: %w", accounts.ErrNoAccount), ExitConfig},
		{"invalid account settings", &accounts.InvalidError{Field: "port"}, ExitDataErr},
		{"account name taken", &accounts.DuplicateError{Name: "work"}, ExitDataErr},
		{"no such account", &accounts.NotFoundError{Name: "nope"}, ExitDataErr},
		{"bad address in a message", &mail.InputError{Field: "To"}, ExitDataErr},
		{"bad address to look up", &autoconfig.AddressError{Address: "x"}, ExitDataErr},
		{"message in the wrong state", &outbox.StateError{ID: 1, State: outbox.StateSent, Action: "discarded"}, ExitDataErr},
		{"no such message", outbox.ErrNotFound, ExitUnknown},
		{"no settings found", &autoconfig.NotFoundError{Domain: "example.org"}, ExitUnknown},
		{"interrupted", context.Canceled, ExitTempFail},
		{"local data", errors.New("disk I/O error"), ExitIOErr},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestExitCodeOfEachOutcome(t *testing.T) {
	failed := func(err error) outbox.Outcome { return outbox.Outcome{State: outbox.StateFailed, Err: err} }
	for _, tc := range []struct {
		name string
		out  outbox.Outcome
		want int
	}{
		{"sent", outbox.Outcome{State: outbox.StateSent}, ExitOK},
		{"unknown", outbox.Outcome{State: outbox.StateUnknown, Err: smtpErr(smtpclient.StageAfterData, smtpclient.UnknownOutcome)}, ExitUnknown},
		{"to be retried", outbox.Outcome{State: outbox.StateRetrying, Err: smtpErr(smtpclient.StageConnect, smtpclient.Temporary)}, ExitTempFail},
		{"still queued", outbox.Outcome{State: outbox.StateQueued}, ExitTempFail},
		{"password refused", failed(smtpErr(smtpclient.StageAuth, smtpclient.Permanent)), ExitNoPerm},
		{"server speaks no TLS", failed(smtpErr(smtpclient.StageTLS, smtpclient.Permanent)), ExitConfig},
		{"no saved password", failed(accounts.ErrNoSecret), ExitConfig},
		{"attachment gone", failed(&mail.InputError{Field: "attachment"}), ExitDataErr},
		{"recipient refused", failed(smtpErr(smtpclient.StageRcpt, smtpclient.Permanent)), ExitUnavailable},
		// Failed for good after the retry limit: not "try again later".
		{"retried until the limit", failed(smtpErr(smtpclient.StageConnect, smtpclient.Temporary)), ExitUnavailable},
		{"failed, cause unknown to the mapping", failed(errors.New("odd")), ExitUnavailable},
	} {
		if got := outcomeExitCode(tc.out); got != tc.want {
			t.Errorf("%s: outcomeExitCode = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestExitCodeOfAFlush(t *testing.T) {
	stopped := errors.New("stopped")
	for _, tc := range []struct {
		name string
		sum  outbox.Summary
		err  error
		want int
	}{
		{"nothing due", outbox.Summary{}, nil, ExitOK},
		{"all sent", outbox.Summary{Sent: 3}, nil, ExitOK},
		{"one unknown, even when stopped", outbox.Summary{Sent: 1, Unknown: 1, Failed: 1}, stopped, ExitUnknown},
		{"stopped", outbox.Summary{Sent: 1, Failed: 1}, stopped, ExitTempFail},
		{"one failed", outbox.Summary{Sent: 1, Failed: 1, Retrying: 1}, nil, ExitUnavailable},
		{"one to be retried", outbox.Summary{Sent: 1, Retrying: 1}, nil, ExitTempFail},
		{"one left in another state", outbox.Summary{Other: 1}, nil, ExitTempFail},
	} {
		if got := flushExitCode(tc.sum, tc.err); got != tc.want {
			t.Errorf("%s: flushExitCode = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// With no account at all there is nothing to send from: a configuration
// error, whereas naming an account that does not exist is bad input.
func TestSendWithoutAnyAccountExits78(t *testing.T) {
	code, _, errOut := postie(t, t.TempDir(), "", "send", "--to", "a@example.net", "--subject", "Nobody sends")
	if code != ExitConfig || !strings.Contains(errOut, "Add an account first") {
		t.Fatalf("exit %d, want %d\n%s", code, ExitConfig, errOut)
	}
}
