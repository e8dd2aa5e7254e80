package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// errorMessage is the one place that turns an error of the engine into a
// sentence in the user's language. The engine's errors carry facts; their
// Error() is for logs. An error it does not know (one the ui package made
// with a translated text, say) is shown as it is.
func errorMessage(err error) string {
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
		spoolErr   *outbox.NotSpooledError
		damaged    *outbox.DamagedError
		smtpError  *smtpclient.Error
		setting    *outbox.SettingError
		signIn     *oauth.Error
		busy       *accounts.SignInBusyError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &busy):
		// Before smtpclient.Error, which wraps it when a message could not
		// get a token: the other process is what to know about.
		return signInBusyMessage(busy)
	case errors.As(err, &notRemoved):
		// Before KeyringError: it wraps the keyring's failure.
		return fmt.Sprintf(lang.L("The account %s was not removed, because its saved password could not be deleted."), notRemoved.Name) +
			" " + errorMessage(notRemoved.Err)
	case errors.As(err, &imapTest):
		// Before InvalidError and KeyringError, which it may wrap: sending
		// works, only the copy in Sent does not.
		why := errorMessage(imapTest.Err)
		var imapErr *imapclient.Error
		if errors.As(imapTest.Err, &imapErr) {
			why = imapReasonMessage(string(imapErr.Reason), imapErr.ServerText, imapErr.Folder) + "."
		}
		return fmt.Sprintf(lang.L("Sending works; saving copies to Sent does not: %s"), why)
	case errors.As(err, &signIn):
		// Before smtpclient.Error, which wraps it when a message could not
		// get a token: the sign-in's own problem says best what to do.
		return oauthMessage(signIn)
	case errors.As(err, &sizeLimit):
		return lang.L("The connection works, but Postie could not save the server's size limit.")
	case errors.As(err, &invalid):
		return invalidMessage(invalid)
	case errors.As(err, &keyring):
		return keyringMessage(keyring)
	case errors.Is(err, accounts.ErrNoSecret):
		return lang.L("Postie has no saved password for this account. Please enter it again.")
	case errors.Is(err, accounts.ErrNoAccount):
		return lang.L("There is no account yet. Add one under Accounts.")
	case errors.As(err, &duplicate):
		return fmt.Sprintf(lang.L("An account named %s already exists. Choose another name."), duplicate.Name)
	case errors.As(err, &notFound):
		return fmt.Sprintf(lang.L("There is no account named %s."), notFound.Name)
	case errors.As(err, &address):
		return addressMessage(address)
	case errors.As(err, &undiscover):
		return fmt.Sprintf(lang.L("Postie could not find the outgoing mail settings for %s by itself. Please ask your email provider for its SMTP server name, port and security, and enter them yourself."), undiscover.Domain)
	case errors.As(err, &path):
		return pathMessage(path)
	case errors.As(err, &newer):
		return lang.L("Postie's data was written by a newer version of Postie. Please update Postie.")
	case errors.As(err, &input):
		return inputMessage(input)
	case errors.As(err, &setting):
		if setting.Setting == outbox.SettingUndoWindow {
			return fmt.Sprintf(lang.L("The undo time must be between 0 and %d seconds."), int(setting.Max.Seconds()))
		}
		return fmt.Sprintf(lang.L("Postie can keep trying for between 1 minute and %d days."), int(setting.Max.Hours()/24))
	case errors.Is(err, outbox.ErrNotFound):
		return lang.L("This message is no longer in Postie; it may have been discarded.")
	case errors.Is(err, outbox.ErrTooLate):
		return lang.L("Too late to cancel: the whole message has already reached the server.")
	case errors.Is(err, outbox.ErrSentElsewhere):
		return lang.L("Another Postie window is sending this message right now; it can only be stopped there.")
	case errors.Is(err, outbox.ErrStuck):
		return lang.L("Postie could not take the waiting messages out of its outbox; the database may be damaged or full.")
	case errors.As(err, &stateErr):
		return fmt.Sprintf(lang.L("This message cannot be %s: it is %s."), actionName(stateErr.Action), stateName(stateErr.State))
	case errors.As(err, &spoolErr):
		return fmt.Sprintf(lang.L("This message is %s and has no finished message to show yet."), stateName(spoolErr.State))
	case errors.As(err, &damaged):
		return noteMessage(damaged.Note)
	case errors.As(err, &smtpError):
		if smtpError.Reason == smtpclient.ReasonUnexpected && smtpError.Stage == smtpclient.StageConfig && smtpError.Err != nil {
			return errorMessage(smtpError.Err) // not from the SMTP session: say what it was
		}
		return smtpMessage(smtpError)
	}
	return err.Error()
}

func invalidMessage(e *accounts.InvalidError) string {
	switch e.Problem {
	case accounts.InvalidName:
		return lang.L("The account name must be a short line of text.")
	case accounts.InvalidDisplayName:
		return lang.L("Your name must be a single line of text.")
	case accounts.InvalidEmail:
		return fmt.Sprintf(lang.L("%q is not an email address. It needs a name, an @ and a domain, like anna@example.org."), e.Value)
	case accounts.InvalidHost:
		return fmt.Sprintf(lang.L("%q is not a server name. It looks like smtp.example.org."), e.Value)
	case accounts.InvalidPort:
		return lang.L("The port must be a number between 1 and 65535, such as 465 or 587.")
	case accounts.InvalidSecurity:
		return lang.L("Choose how the connection is secured.")
	case accounts.InvalidUsername:
		return lang.L("The user name must be a single line of text.")
	case accounts.InvalidCAAndPin:
		return lang.L("Use either a certificate authority file or an accepted certificate, not both.")
	case accounts.InvalidPin:
		return lang.L("The certificate fingerprint must be 64 hexadecimal digits (a SHA-256 fingerprint).")
	case accounts.InvalidMechanism:
		return fmt.Sprintf(lang.L("%q is not the name of a sign-in method such as PLAIN or XOAUTH2."), e.Value)
	case accounts.InvalidCAFileRead:
		return fmt.Sprintf(lang.L("Postie cannot read the certificate authority file %s."), e.Value)
	case accounts.InvalidCAFileNoCert:
		return fmt.Sprintf(lang.L("The file %s holds no certificate in PEM format (the text starting with -----BEGIN CERTIFICATE-----)."), e.Value)
	case accounts.InvalidCleartextAuth:
		return lang.L("Postie will not send your password over an unencrypted connection. Choose SSL/TLS or STARTTLS.")
	case accounts.InvalidIMAPHost:
		return fmt.Sprintf(lang.L("%q is not a server name. The incoming (IMAP) server looks like imap.example.org."), e.Value)
	case accounts.InvalidIMAPNoHost:
		return lang.L("Enter the incoming (IMAP) server's name, or leave its port, security and user name empty.")
	case accounts.InvalidIMAPPort:
		return lang.L("The incoming (IMAP) server's port must be a number between 1 and 65535, such as 993 or 143.")
	case accounts.InvalidIMAPSecurity:
		return lang.L("Choose how the connection to the incoming (IMAP) server is secured.")
	case accounts.InvalidIMAPUsername:
		return lang.L("The incoming (IMAP) server's user name must be a single line of text.")
	case accounts.InvalidIMAPPin:
		return lang.L("The incoming (IMAP) server's certificate fingerprint must be 64 hexadecimal digits (a SHA-256 fingerprint).")
	case accounts.InvalidIMAPCleartextAuth:
		return lang.L("Postie will not send your password to the incoming (IMAP) server over an unencrypted connection. Choose SSL/TLS or STARTTLS for it.")
	case accounts.InvalidSentCopy:
		return lang.L("Choose whether Postie saves a copy in Sent: Automatic, Always or Never.")
	case accounts.InvalidSentCopyNoIMAP:
		return lang.L("To always save a copy in Sent, Postie needs the incoming (IMAP) server. Enter it, or choose Automatic.")
	}
	return e.Error()
}

func keyringMessage(e *accounts.KeyringError) string {
	switch e.Problem {
	case accounts.KeyringUnavailable:
		return lang.L("No password store is available on this computer, so Postie cannot save your password. Install or start one (such as GNOME Keyring or KWallet) and try again.")
	case accounts.KeyringLocked:
		return lang.L("Your password store is locked. Unlock it (your desktop may be showing a prompt) and try again.")
	case accounts.KeyringTimedOut:
		return fmt.Sprintf(lang.L("Your password store did not answer within %s. It may be waiting for you to unlock it in a window that is hidden; unlock it and try again."),
			fmt.Sprintf(lang.L("%d seconds"), int(e.Timeout.Seconds())))
	}
	return lang.L("Postie could not use your password store.")
}

func addressMessage(e *autoconfig.AddressError) string {
	switch e.Problem {
	case autoconfig.AddressEmpty:
		return lang.L("Enter your email address.")
	case autoconfig.AddressForbiddenChar:
		return fmt.Sprintf(lang.L("%q contains spaces or punctuation that an email address cannot hold."), e.Address)
	case autoconfig.AddressBadDomain:
		return fmt.Sprintf(lang.L("The part after the @ in %q is not a valid domain name."), e.Address)
	}
	return fmt.Sprintf(lang.L("%q is not an email address. It needs a name, an @ and a domain, like anna@example.org."), e.Address)
}

// hintMessage says what a provider needs before Postie can log in, or ""
// when it needs nothing special.
func hintMessage(h autoconfig.Hint) string {
	var s string
	switch h.Kind {
	case autoconfig.HintNone:
		return ""
	case autoconfig.HintAppPassword:
		s = fmt.Sprintf(lang.L("%s does not accept your normal password in email programs. Create an app password in your account's security settings and use it here instead."), h.Provider)
	case autoconfig.HintAppPasswordWithTwoFactor:
		s = fmt.Sprintf(lang.L("If two-step verification is on for your %s account, create an app password in its settings and use it here."), h.Provider)
	case autoconfig.HintOAuthOnly:
		s = fmt.Sprintf(lang.L("%s lets email programs send only after signing in with the provider (OAuth); your normal password is refused."), h.Provider)
	case autoconfig.HintEnableSMTP:
		s = fmt.Sprintf(lang.L("%s blocks email programs until you allow them once: turn on access for email programs (IMAP/SMTP) in its web settings."), h.Provider)
	case autoconfig.HintEnableSMTPAndAppPassword:
		s = fmt.Sprintf(lang.L("Turn on access for email programs (SMTP) in the web settings of %s, then use the app password or authorisation code it gives you instead of your normal password."), h.Provider)
	case autoconfig.HintAdminEnableSMTP:
		s = lang.L("Your organisation's administrator must turn on “Authenticated SMTP” for your mailbox, and many organisations allow only Microsoft sign-in (OAuth) instead of a password.")
	case autoconfig.HintProviderInstruction:
		s = fmt.Sprintf(lang.L("Your provider says: %s"), h.Instruction)
	default:
		return ""
	}
	if h.HelpURL != "" {
		s += " " + fmt.Sprintf(lang.L("More at %s"), h.HelpURL)
	}
	return s
}

// confirmationMessage says why found settings need the user's agreement.
func confirmationMessage(c autoconfig.Confirmation) string {
	if c.Because == autoconfig.ConfirmFoundViaMX {
		return fmt.Sprintf(lang.L("Postie found these settings because mail for %s is received by %s. Use them only if %s really handles your email."),
			c.Domain, c.MXHost, c.Operator)
	}
	return fmt.Sprintf(lang.L("These settings send your mail through %s, which does not belong to %s. Use them only if %s really handles your email."),
		c.Host, c.Domain, c.Operator)
}

func pathMessage(e *store.PathError) string {
	switch e.Problem {
	case store.PathCannotCreate:
		return fmt.Sprintf(lang.L("Postie cannot create %s."), e.Path)
	case store.PathCannotRead:
		return fmt.Sprintf(lang.L("Postie cannot read %s."), e.Path)
	case store.PathNotAFolder:
		return fmt.Sprintf(lang.L("%s is a file, not a folder; Postie needs a folder there."), e.Path)
	case store.PathOtherOwner:
		return fmt.Sprintf(lang.L("The folder %s belongs to another user of this computer, who could read the messages Postie keeps there. Choose a folder of your own (set %s)."),
			e.Path, store.DataDirEnv)
	case store.PathOpenToOthers:
		return fmt.Sprintf(lang.L("Other users of this computer can read %s, and Postie could not change that. Make it private to you, or choose another folder (set %s)."),
			e.Path, store.DataDirEnv)
	case store.PathNotOwnFile:
		return fmt.Sprintf(lang.L("%s is not a file Postie made: it is a link, a special file or another user's file, so Postie will not write to it. Move it away, or choose another folder (set %s)."),
			e.Path, store.DataDirEnv)
	}
	return e.Error()
}

// inputMessage says why a message or an address cannot be sent.
func inputMessage(e *mail.InputError) string {
	value := mail.Shorten(e.Value)
	switch {
	case e.Problem == mail.InputNoRecipient:
		return lang.L("Add at least one recipient.")
	case e.Problem == mail.InputTextNotUTF8:
		return lang.L("The text contains characters that are not valid text.")
	case e.Problem == mail.InputMissing && e.Field == "From":
		return lang.L("Choose the account to send from.")
	case e.Problem == mail.InputMissing && e.Value == "" && (e.Field == "" || mail.IsAddressField(e.Field)):
		return lang.L("An address is empty.")
	case e.Field == "attachment":
		return fmt.Sprintf(lang.L("The file %s cannot be attached: %v"), e.Value, inputReason(e))
	case e.InName:
		return fmt.Sprintf(lang.L("The name in %q cannot be used: %s."), value, inputReason(e))
	case e.Field == "" || mail.IsAddressField(e.Field):
		return fmt.Sprintf(lang.L("The address %q is not valid: %s."), value, inputReason(e))
	}
	return fmt.Sprintf(lang.L("%s: %q cannot be used: %s."), fieldLabel(e.Field), value, inputReason(e))
}

// fieldLabel is how the window names a field of the message.
func fieldLabel(field string) string {
	switch field {
	case "Subject":
		return lang.L("Subject")
	case "attachment name":
		return lang.L("Name of the attachment")
	case "attachment type":
		return lang.L("Type of the attachment")
	}
	return field // a header name such as Message-ID
}

// inputReason is why a value cannot be used, as a clause that continues
// the sentences of inputMessage.
func inputReason(e *mail.InputError) string {
	switch e.Problem {
	case mail.InputMissing:
		return lang.L("it is empty")
	case mail.InputLineBreak:
		return lang.L("line breaks are not allowed")
	case mail.InputNUL:
		return lang.L("NUL characters are not allowed")
	case mail.InputInvalidText:
		return lang.L("some characters are not valid text")
	case mail.InputNameWithoutBrackets:
		return lang.L("put the address after the name in angle brackets, as in Anna Lind <anna@example.org>")
	case mail.InputNoAt:
		return lang.L("the @ is missing")
	case mail.InputSeveralAt:
		return lang.L("there is more than one @")
	case mail.InputNothingBeforeAt:
		return lang.L("nothing comes before the @")
	case mail.InputNothingAfterAt:
		return lang.L("nothing comes after the @")
	case mail.InputSpace:
		return lang.L("spaces are not allowed")
	case mail.InputUnclosed:
		return lang.L("a quotation mark or bracket is not closed")
	case mail.InputSeveralAddresses:
		return lang.L("these are several addresses; separate them with commas")
	case mail.InputNotAnAddress:
		return lang.L("an address looks like name@example.org")
	case mail.InputLocalPartTooLong:
		return fmt.Sprintf(lang.L("the part before the @ is longer than %d characters"), e.Limit)
	case mail.InputLocalPartDots:
		return lang.L("the part before the @ cannot start or end with a dot or have two dots in a row")
	case mail.InputLocalPartChar:
		return fmt.Sprintf(lang.L("the part before the @ cannot contain %s"), charName(e.Detail))
	case mail.InputDomainNotIP:
		return fmt.Sprintf(lang.L("%s is not an IP address"), e.Detail)
	case mail.InputDomainTrailingDot:
		return fmt.Sprintf(lang.L("the domain %s ends with a dot"), e.Detail)
	case mail.InputDomainInvalid:
		return fmt.Sprintf(lang.L("%s is not a valid domain name"), e.Detail)
	case mail.InputDomainIncomplete:
		return fmt.Sprintf(lang.L("the domain %s is incomplete; it needs a dot, as in example.org"), e.Detail)
	case mail.InputTooLong:
		return fmt.Sprintf(lang.L("the longest allowed is %d characters"), e.Limit)
	case mail.InputNotIdentifier:
		return lang.L("only letters, digits and punctuation are allowed, without spaces or angle brackets")
	case mail.InputIdentifierForm:
		return lang.L("it must look like identifier@example.org")
	case mail.InputNotPrintable:
		return lang.L("only printable ASCII characters are allowed")
	case mail.InputNotContentType:
		return lang.L("this is not a content type such as application/pdf")
	case mail.InputNoFileChosen:
		return lang.L("no file was chosen")
	case mail.InputIsFolder:
		return lang.L("this is a folder, not a file")
	case mail.InputNotRegular:
		return lang.L("this is not an ordinary file")
	case mail.InputFileMissing:
		return lang.L("the file does not exist")
	case mail.InputNoPermission:
		return lang.L("you are not allowed to read it")
	case mail.InputReadFailed:
		return lang.L("reading it failed")
	case mail.InputOnlyName:
		return lang.L("the address itself is missing")
	}
	return string(e.Problem)
}

func charName(detail string) string {
	switch detail {
	case mail.CharSpace:
		return lang.L("a space")
	case mail.CharQuote:
		return lang.L("a quotation mark")
	case mail.CharControl:
		return lang.L("a control character")
	}
	return strings.TrimSpace(fmt.Sprintf("“%s”", detail))
}
