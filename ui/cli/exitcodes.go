package cli

import (
	"context"
	"errors"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// Exit codes, from sysexits(3).
const (
	ExitOK          = 0
	ExitUnknown     = 1  // the outcome is unknown, or nothing was found
	ExitUsage       = 64 // the command line is wrong
	ExitDataErr     = 65 // bad input: an address, a file, a body
	ExitUnavailable = 69 // the server refused for good
	ExitSoftware    = 70 // a fault in Postie itself
	ExitIOErr       = 74 // reading or writing local data failed
	ExitTempFail    = 75 // a temporary failure: try again later
	ExitNoPerm      = 77 // authentication was refused
	ExitConfig      = 78 // the configuration is wrong or missing
)

// exitCodes is the table `postie help` prints.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{ExitOK, "done: sent, or queued when asked"},
	{ExitUnknown, "the outcome is unknown (the server may have the message), or nothing was found"},
	{ExitUsage, "the command line is wrong"},
	{ExitDataErr, "bad input: an address, a file, an account name, a message in the wrong state"},
	{ExitUnavailable, "the server refused for good"},
	{ExitSoftware, "a fault in Postie itself"},
	{ExitIOErr, "Postie's own data could not be read or written"},
	{ExitTempFail, "a temporary failure: try again later (a queued message is retried); a sign-in that timed out; the provider unreachable; another Postie busy signing in to the account"},
	{ExitNoPerm, "the server refused the user name or password; a sign-in refused, cancelled, expired or blocked by the organisation; a message waiting for sign-in"},
	{ExitConfig, "the settings are wrong or missing: server, security, certificate, password store, no client ID for the provider, a bad " + oauth.EnvProviders + " file"},
}

// exitCode is the one mapping from an error of any command to its exit
// code; nil is ExitOK. An error it does not know is a failure to read or
// write Postie's own data.
func exitCode(err error) int {
	var (
		se       *smtpclient.Error
		keyring  *accounts.KeyringError
		invalid  *accounts.InvalidError
		dup      *accounts.DuplicateError
		noAcct   *accounts.NotFoundError
		input    *mail.InputError
		address  *autoconfig.AddressError
		state    *outbox.StateError
		copy     *outbox.CopyStateError
		notFound *autoconfig.NotFoundError
		imapTest *accounts.IMAPTestError
		signIn   *oauth.Error
		busy     *accounts.SignInBusyError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &busy):
		// Another Postie process is signing in to the account: later, it
		// will have finished.
		return ExitTempFail
	case errors.As(err, &imapTest):
		// Sending works; the IMAP server, for the copy in Sent, does not.
		// Its own keyring trouble keeps its code; anything else is a
		// setting to fix (or --sent-copy never).
		var keyring *accounts.KeyringError
		if errors.As(imapTest.Err, &keyring) {
			return exitCode(imapTest.Err)
		}
		return ExitConfig
	case errors.As(err, &signIn):
		// Before smtpclient.Error, which wraps it when a message could
		// not get a token.
		return oauthExitCode(signIn)
	case errors.As(err, &se):
		return smtpExitCode(se)
	case errors.As(err, &keyring):
		switch keyring.Problem {
		case accounts.KeyringUnavailable:
			return ExitConfig
		case accounts.KeyringLocked, accounts.KeyringTimedOut:
			return ExitTempFail
		}
		return ExitIOErr
	case errors.Is(err, accounts.ErrNoSecret), errors.Is(err, accounts.ErrNoAccount):
		return ExitConfig
	case errors.As(err, &invalid), errors.As(err, &dup), errors.As(err, &noAcct),
		errors.As(err, &input), errors.As(err, &address), errors.As(err, &state), errors.As(err, &copy):
		return ExitDataErr
	case errors.Is(err, outbox.ErrNotFound), errors.As(err, &notFound):
		return ExitUnknown
	case errors.Is(err, context.Canceled):
		return ExitTempFail
	}
	return ExitIOErr
}

// smtpExitCode maps a failure to reach, or to be accepted by, the server.
func smtpExitCode(e *smtpclient.Error) int {
	switch {
	case e.Stage == smtpclient.StageConfig || e.Certificate != nil:
		return ExitConfig
	case e.Class == smtpclient.Permanent && e.Stage == smtpclient.StageTLS:
		// The server does not speak the security the settings name.
		return ExitConfig
	case e.Class == smtpclient.Permanent && e.Stage == smtpclient.StageAuth:
		return ExitNoPerm
	case e.Class == smtpclient.Permanent:
		return ExitUnavailable
	case e.Class == smtpclient.Temporary:
		return ExitTempFail
	}
	return ExitUnknown
}

// outcomeExitCode maps what became of one message sent now. A failed
// message is not tried again by itself, so its code says why it failed
// for good, never "try again later".
func outcomeExitCode(out outbox.Outcome) int {
	switch out.State {
	case outbox.StateSent:
		return ExitOK
	case outbox.StateUnknown:
		return ExitUnknown
	case outbox.StateWaitingForSignIn:
		return ExitNoPerm
	case outbox.StateFailed:
		switch code := exitCode(out.Err); code {
		case ExitNoPerm, ExitConfig, ExitDataErr:
			return code
		}
		return ExitUnavailable
	}
	return ExitTempFail
}

// copyExitCode maps what became of a copy in the Sent folder that the
// user asked to save again (postie log retry-copy). Only that command's
// code depends on a copy: the codes of flush and send are about sending.
func copyExitCode(e outbox.Entry) int {
	switch e.SentCopy {
	case outbox.CopyFiled:
		return ExitOK
	case outbox.CopyPending:
		return ExitTempFail
	}
	if e.CopyFailure != nil {
		switch {
		case e.CopyFailure.Reason == string(imapclient.ReasonLoginRefused):
			return ExitNoPerm
		case e.CopyFailure.Account != outbox.NoteNone, e.CopyFailure.Note == outbox.CopyNoteNoIMAPServer:
			return ExitConfig
		}
	}
	return ExitUnavailable
}

// flushExitCode maps what became of the messages a flush sent, and the
// error that stopped it, if any. An unknown outcome decides even when the
// flush was interrupted or failed later: a script that reads "try again
// later" must not think that nothing was sent.
func flushExitCode(sum outbox.Summary, err error) int {
	switch {
	case sum.Unknown > 0:
		return ExitUnknown
	case err != nil:
		return ExitTempFail
	case sum.WaitingForSignIn > 0:
		// Before failed ones: signing in is what gets these out.
		return ExitNoPerm
	case sum.Failed > 0:
		return ExitUnavailable
	case sum.Retrying > 0 || sum.Other > 0:
		return ExitTempFail
	}
	return ExitOK
}
