package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// explain is the one place that turns an error of the engine into the
// English sentence the command line prints. The engine's errors carry
// facts; their Error() is for logs. An error explain does not know is
// printed as it is.
func explain(err error) string {
	var (
		invalid    *accounts.InvalidError
		keyring    *accounts.KeyringError
		duplicate  *accounts.DuplicateError
		notFound   *accounts.NotFoundError
		notRemoved *accounts.NotRemovedError
		sizeLimit  *accounts.SizeLimitNotSavedError
		imapTest   *accounts.IMAPTestError
		address    *autoconfig.AddressError
		undiscover *autoconfig.NotFoundError
		path       *store.PathError
		newer      *store.NewerSchemaError
		input      *mail.InputError
		stateErr   *outbox.StateError
		copyState  *outbox.CopyStateError
		spoolErr   *outbox.NotSpooledError
		damaged    *outbox.DamagedError
		smtpError  *smtpclient.Error
		setting    *outbox.SettingError
		bodyRead   *bodyReadError
		signIn     *oauth.Error
		busy       *accounts.SignInBusyError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &busy):
		// Before smtpclient.Error, which wraps it when a message could not
		// get a token: the other process is what to know about.
		return explainSignInBusy(busy)
	case errors.As(err, &signIn):
		// Before smtpclient.Error, which wraps it when a message could not
		// get a token: the sign-in's own problem says best what to do.
		return explainOAuth(signIn)
	case errors.As(err, &notRemoved):
		// Before KeyringError: it wraps the keyring's failure.
		return fmt.Sprintf("The account %q was not removed, because its saved password could not be deleted. %s",
			notRemoved.Name, explain(notRemoved.Err))
	case errors.As(err, &imapTest):
		// Before InvalidError and KeyringError, which it may wrap: sending
		// works, only the copy in Sent does not.
		why := explain(imapTest.Err)
		var imapErr *imapclient.Error
		if errors.As(imapTest.Err, &imapErr) {
			why = explainIMAPReason(string(imapErr.Reason), imapErr.ServerText, imapErr.Folder) + "."
		}
		return fmt.Sprintf("Sending works; saving copies to Sent does not (IMAP server %s:%d): %s", imapTest.Host, imapTest.Port, why)
	case errors.As(err, &sizeLimit):
		return "The connection works, but Postie could not save the server's size limit: " + sizeLimit.Err.Error()
	case errors.As(err, &invalid):
		return explainInvalid(invalid)
	case errors.As(err, &keyring):
		return explainKeyring(keyring)
	case errors.Is(err, accounts.ErrNoSecret):
		return "Postie has no saved password for this account. Please enter it again."
	case errors.Is(err, accounts.ErrNoAccount):
		return "There is no account yet. Add one with `postie accounts add --email ADDRESS`."
	case errors.As(err, &duplicate):
		return fmt.Sprintf("An account named %q already exists. Choose another name.", duplicate.Name)
	case errors.As(err, &notFound):
		return fmt.Sprintf("There is no account named %q. `postie accounts list` shows the accounts.", notFound.Name)
	case errors.As(err, &address):
		return fmt.Sprintf("%q is not an email address Postie can look up: %s", address.Address, addressReason[address.Problem])
	case errors.As(err, &undiscover):
		return fmt.Sprintf("Postie could not find the outgoing mail settings for %s by itself. "+
			"Please ask your email provider for its SMTP server name, port and security, and enter them yourself.", undiscover.Domain)
	case errors.As(err, &path):
		return explainPath(path)
	case errors.As(err, &newer):
		return fmt.Sprintf("The %s tables were written by a newer version of Postie (schema %d, this version knows %d); please update Postie.",
			newer.Component, newer.Found, newer.Newest)
	case errors.As(err, &input):
		return explainInput(input)
	case errors.As(err, &bodyRead):
		if bodyRead.path == "-" {
			return fmt.Sprintf("The text could not be read from standard input: %v", bodyRead.err)
		}
		return fmt.Sprintf("The text file %s could not be read: %v", bodyRead.path, errors.Unwrap(bodyRead.err))
	case errors.As(err, &copyState):
		return explainCopyState(copyState)
	case errors.As(err, &setting):
		if setting.Setting == outbox.SettingUndoWindow {
			return fmt.Sprintf("The undo time must be between 0 and %d seconds.", int(setting.Max.Seconds()))
		}
		return fmt.Sprintf("Postie can keep trying for between 1 minute and %d days, not %s.", int(setting.Max.Hours()/24), setting.Value)
	case errors.Is(err, outbox.ErrNotFound):
		return "This message is no longer in Postie; it may have been discarded."
	case errors.Is(err, outbox.ErrTooLate):
		return "The whole message has already gone to the server, so sending can no longer be stopped."
	case errors.Is(err, outbox.ErrSentElsewhere):
		return "Another Postie window is sending this message right now; it can only be stopped there."
	case errors.Is(err, outbox.ErrStuck):
		return "Postie could not take the waiting messages out of its outbox; the database may be damaged or full."
	case errors.As(err, &stateErr):
		return fmt.Sprintf("Message %d cannot be %s: it is %s.", stateErr.ID, stateErr.Action, describeState(stateErr.State))
	case errors.As(err, &spoolErr):
		return fmt.Sprintf("Message %d is %s and has no finished message to show yet.", spoolErr.ID, describeState(spoolErr.State))
	case errors.As(err, &damaged):
		return explainNote(damaged.Note)
	case errors.As(err, &smtpError):
		if smtpError.Reason == smtpclient.ReasonUnexpected && smtpError.Stage == smtpclient.StageConfig && smtpError.Err != nil {
			return explain(smtpError.Err) // not from the SMTP session: say what it was
		}
		return explainSMTP(smtpError)
	}
	return err.Error()
}

func explainInvalid(e *accounts.InvalidError) string {
	switch e.Problem {
	case accounts.InvalidName:
		return "The account name must be a short line of text."
	case accounts.InvalidDisplayName:
		return "The display name must be a single line of text."
	case accounts.InvalidEmail:
		return fmt.Sprintf("%q is not an email address. It needs a name, an @ and a domain, like anna@example.org.", e.Value)
	case accounts.InvalidHost:
		return fmt.Sprintf("%q is not a server name. It looks like smtp.example.org.", e.Value)
	case accounts.InvalidPort:
		return "The server port must be a number from 1 to 65535 (usually 465 or 587)."
	case accounts.InvalidSecurity:
		return fmt.Sprintf("The security must be tls, starttls or none, not %q.", e.Value)
	case accounts.InvalidUsername:
		return "The user name must be a single line of text."
	case accounts.InvalidCAAndPin:
		return "Use either a certificate authority file or a pinned certificate, not both."
	case accounts.InvalidPin:
		return "The certificate fingerprint must be 64 hexadecimal digits (a SHA-256 fingerprint)."
	case accounts.InvalidMechanism:
		return fmt.Sprintf("%q is not an authentication mechanism name such as PLAIN or XOAUTH2.", e.Value)
	case accounts.InvalidCAFileRead:
		return fmt.Sprintf("Postie cannot read the certificate authority file %s: %v", e.Value, e.Err)
	case accounts.InvalidCAFileNoCert:
		return fmt.Sprintf("The file %s holds no certificate in PEM format (the text starting with -----BEGIN CERTIFICATE-----).", e.Value)
	case accounts.InvalidCleartextAuth:
		return "Postie will not send your password over an unencrypted connection. Choose tls or starttls as the security."
	case accounts.InvalidIMAPHost:
		return fmt.Sprintf("%q is not a server name. The IMAP server looks like imap.example.org.", e.Value)
	case accounts.InvalidIMAPNoHost:
		return "--imap-port, --imap-security, --imap-user and --imap-pin-sha256 need --imap-host, the IMAP server's name."
	case accounts.InvalidIMAPPort:
		return "The IMAP server port must be a number from 1 to 65535 (usually 993 or 143)."
	case accounts.InvalidIMAPSecurity:
		return fmt.Sprintf("The IMAP security must be tls, starttls or none, not %q.", e.Value)
	case accounts.InvalidIMAPUsername:
		return "The IMAP user name must be a single line of text."
	case accounts.InvalidIMAPPin:
		return "--imap-pin-sha256 must be 64 hexadecimal digits (a SHA-256 fingerprint)."
	case accounts.InvalidIMAPCleartextAuth:
		return "Postie will not send your password to the IMAP server over an unencrypted connection. Choose tls or starttls as --imap-security."
	case accounts.InvalidSentCopy:
		return fmt.Sprintf("--sent-copy must be auto, always or never, not %q.", e.Value)
	case accounts.InvalidSentCopyNoIMAP:
		return "--sent-copy always needs the IMAP server (--imap-host) to save the copy on."
	case accounts.InvalidOAuthProvider:
		if e.Value == "" {
			return "This account signs in with a password, not with a provider in the browser."
		}
		return fmt.Sprintf("Postie does not know the sign-in provider %q. Is it in the file named by POSTIE_OAUTH_PROVIDERS?", e.Value)
	}
	return e.Error()
}

func explainKeyring(e *accounts.KeyringError) string {
	switch e.Problem {
	case accounts.KeyringUnavailable:
		return "No password store is available on this computer, so Postie cannot save your password. " +
			"Install or start one (such as GNOME Keyring or KWallet) and try again."
	case accounts.KeyringLocked:
		return "Your password store is locked. Unlock it (your desktop may be showing a prompt) and try again."
	case accounts.KeyringTimedOut:
		return "Your password store did not answer within " + e.Timeout.String() + ". " +
			"It may be waiting for you to unlock it in a window that is hidden; unlock it and try again."
	}
	msg := "Postie could not use your password store"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + "."
}

var addressReason = map[autoconfig.AddressProblem]string{
	autoconfig.AddressEmpty:         "it is empty",
	autoconfig.AddressForbiddenChar: "it contains spaces or punctuation that an address cannot hold",
	autoconfig.AddressNoAtOrParts:   "it needs a name, an @ and a domain, like anna@example.org",
	autoconfig.AddressBadDomain:     "the part after the @ is not a valid domain name",
}

// explainHint says what the provider needs before Postie can log in.
func explainHint(h autoconfig.Hint) string {
	var s string
	switch h.Kind {
	case autoconfig.HintNone:
		return ""
	case autoconfig.HintAppPassword:
		s = h.Provider + " does not accept your normal password in email programs. Create an app password " +
			"in your account's security settings and use it here instead."
	case autoconfig.HintAppPasswordWithTwoFactor:
		s = "If two-step verification is on for your " + h.Provider + " account, create an app password " +
			"in its settings and use it here."
	case autoconfig.HintOAuthOnly:
		s = h.Provider + " lets email programs send only after signing in with the provider (OAuth); " +
			"your normal password is refused."
	case autoconfig.HintEnableSMTP:
		s = h.Provider + " blocks email programs until you allow them once: turn on access for email " +
			"programs (IMAP/SMTP) in its web settings."
	case autoconfig.HintEnableSMTPAndAppPassword:
		s = "Turn on access for email programs (SMTP) in " + h.Provider + "'s web settings, then use the " +
			"app password or authorisation code it gives you instead of your normal password."
	case autoconfig.HintAdminEnableSMTP:
		s = "Your organisation's administrator must turn on \"Authenticated SMTP\" for your mailbox, " +
			"and many organisations allow only Microsoft sign-in (OAuth) instead of a password."
	case autoconfig.HintProviderInstruction:
		s = h.Instruction
	default:
		s = string(h.Kind)
	}
	if h.HelpURL != "" {
		s += " (" + h.HelpURL + ")"
	}
	return s
}

// explainConfirmation says why found settings need the user's agreement.
func explainConfirmation(c autoconfig.Confirmation) string {
	if c.Because == autoconfig.ConfirmFoundViaMX {
		return fmt.Sprintf("Postie found these settings because mail for %s is received by %s. "+
			"Use them only if %s really handles your email.", c.Domain, c.MXHost, c.Operator)
	}
	return fmt.Sprintf("These settings send your mail through %s, which does not belong to %s. "+
		"Use them only if %s really handles your email.", c.Host, c.Domain, c.Operator)
}

func explainPath(e *store.PathError) string {
	kind := "file"
	if e.IsDir {
		kind = "folder"
	}
	switch e.Problem {
	case store.PathCannotCreate:
		return fmt.Sprintf("Postie cannot create the %s %s: %v", kind, e.Path, e.Err)
	case store.PathCannotRead:
		return fmt.Sprintf("Postie cannot read the %s %s: %v", kind, e.Path, e.Err)
	case store.PathNotAFolder:
		return fmt.Sprintf("%s is a file, not a folder; Postie needs a folder there.", e.Path)
	case store.PathOtherOwner:
		return fmt.Sprintf("The folder %s belongs to another user of this computer (user ID %d), who could read the "+
			"messages Postie keeps there; choose a folder of your own (set %s).", e.Path, e.OwnerUID, store.DataDirEnv)
	case store.PathOpenToOthers:
		if e.IsDir {
			return fmt.Sprintf("The folder %s can be read by other users of this computer (permissions %04o) and Postie "+
				"could not change that: %v; run `chmod 700 %s`, or choose another folder (set %s).",
				e.Path, e.Mode.Perm(), e.Err, e.Path, store.DataDirEnv)
		}
		return fmt.Sprintf("The file %s can be read by other users of this computer (permissions %04o) and Postie "+
			"could not change that: %v; run `chmod 600 %s`.", e.Path, e.Mode.Perm(), e.Err, e.Path)
	case store.PathNotOwnFile:
		return fmt.Sprintf("%s is not a file Postie made: it is a link, a special file or another user's file, so Postie "+
			"will not write to it. Move it away, or choose another folder (set %s).", e.Path, store.DataDirEnv)
	}
	return e.Error()
}

// inputReason is why a value cannot be used, as the sentences of
// explainInput continue it.
func inputReason(e *mail.InputError) string {
	switch e.Problem {
	case mail.InputMissing:
		return "it is empty"
	case mail.InputLineBreak:
		return "it contains a line break"
	case mail.InputNUL:
		return "it contains a NUL character"
	case mail.InputInvalidText:
		return "it contains characters that are not valid text"
	case mail.InputNameWithoutBrackets:
		return "a name before the address needs the address in angle brackets, as in Anna Lind <anna@example.org>"
	case mail.InputNoAt:
		return "it has no @"
	case mail.InputSeveralAt:
		return "it has more than one @"
	case mail.InputNothingBeforeAt:
		return "there is nothing before the @"
	case mail.InputNothingAfterAt:
		return "there is nothing after the @"
	case mail.InputSpace:
		return "it contains a space"
	case mail.InputUnclosed:
		return "a quotation mark, bracket or parenthesis is not closed"
	case mail.InputSeveralAddresses:
		return "it holds more than one address; separate addresses with commas"
	case mail.InputNotAnAddress:
		return "it is not of the form name@example.org"
	case mail.InputLocalPartTooLong:
		return fmt.Sprintf("the part before the @ is longer than %d characters", e.Limit)
	case mail.InputLocalPartDots:
		return "the part before the @ cannot start or end with a dot or have two dots in a row"
	case mail.InputLocalPartChar:
		return "the part before the @ cannot contain " + describeChar(e.Detail)
	case mail.InputDomainNotIP:
		return fmt.Sprintf("%q is not an IP address", e.Detail)
	case mail.InputDomainTrailingDot:
		return fmt.Sprintf("the domain %q ends with a dot", e.Detail)
	case mail.InputDomainInvalid:
		return fmt.Sprintf("%q is not a valid domain name", e.Detail)
	case mail.InputDomainIncomplete:
		return fmt.Sprintf("the domain %q is incomplete; it needs a dot, as in example.org", e.Detail)
	case mail.InputTooLong:
		if mail.IsAddressField(e.Field) || e.Field == "" {
			return fmt.Sprintf("it is longer than %d characters", e.Limit)
		}
		return "it is too long"
	case mail.InputNotIdentifier:
		return "it may only contain letters, digits and punctuation, without spaces or angle brackets"
	case mail.InputIdentifierForm:
		return "it is not of the form identifier@example.org"
	case mail.InputNotPrintable:
		return "it may only contain printable ASCII characters"
	case mail.InputNotContentType:
		return "it is not a content type such as application/pdf"
	case mail.InputNoFileChosen:
		return "no file was chosen"
	case mail.InputIsFolder:
		return "it is a folder, not a file"
	case mail.InputNotRegular:
		return "it is not an ordinary file"
	case mail.InputFileMissing:
		return "the file does not exist"
	case mail.InputNoPermission:
		return "you do not have permission to read it"
	case mail.InputReadFailed:
		if e.Err != nil {
			return "reading it failed (" + e.Err.Error() + ")"
		}
		return "reading it failed"
	case mail.InputOnlyName:
		return "the address itself is missing"
	}
	return string(e.Problem)
}

func describeChar(detail string) string {
	switch detail {
	case mail.CharSpace:
		return "a space"
	case mail.CharQuote:
		return "a quotation mark"
	case mail.CharControl:
		return "a control character"
	}
	return fmt.Sprintf("%q", detail)
}

// explainInput writes a refused input as the command line always has.
func explainInput(e *mail.InputError) string {
	reason := inputReason(e)
	if e.InName {
		reason = "the name " + strings.TrimPrefix(reason, "it ")
	}
	value := mail.Shorten(e.Value)
	switch {
	case e.Problem == mail.InputNoRecipient:
		return "There is no recipient; add at least one address in To, Cc or Bcc."
	case e.Problem == mail.InputTextNotUTF8:
		return "The text contains characters that are not valid UTF-8; save it as UTF-8 and try again."
	case e.Problem == mail.InputMissing && e.Field == "From":
		return "The sender's address is missing."
	case e.Problem == mail.InputMissing && e.Field == "":
		return "The address is empty."
	case e.Problem == mail.InputMissing && mail.IsAddressField(e.Field):
		return "An address in " + e.Field + " is empty."
	case e.Value == "":
		return "The " + e.Field + " is missing."
	case e.Field == "attachment":
		return fmt.Sprintf("The attachment %q cannot be read: %s.", e.Value, reason)
	case e.Field == "":
		return fmt.Sprintf("The address %q is not valid: %s.", value, reason)
	case mail.IsAddressField(e.Field):
		return fmt.Sprintf("The address %q in %s is not valid: %s.", value, e.Field, reason)
	}
	return fmt.Sprintf("The %s %q cannot be used: %s.", e.Field, value, reason)
}
