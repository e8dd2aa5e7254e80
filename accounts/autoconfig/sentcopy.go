package autoconfig

// CONTRACT STUB: the provider table's facts about Sent copies are being
// written.

// FilesOwnSentCopy reports whether the provider of the address (or of the
// SMTP host) puts a copy of every submitted message in the Sent folder
// itself, so Postie's automatic mode files none; source names where that
// fact is documented.
func FilesOwnSentCopy(email, smtpHost string) (files bool, source string) {
	return false, ""
}
