package mail

// BccField formats the Bcc header field (RFC 5322 §3.6.3) naming the blind
// recipients, folded and encoded like To and Cc, ending in CRLF; nil when
// list is empty. It is for the copy of a sent message filed in the
// sender's own Sent folder, never for the message submitted over SMTP
// (see headerFields). Every address is checked as for sending, so a name
// or address holding a line break cannot add a header field of its own.
func BccField(list []Address) ([]byte, error) {
	if len(list) == 0 {
		return nil, nil
	}
	for _, a := range list {
		if err := a.check("Bcc"); err != nil {
			return nil, err
		}
	}
	tokens, err := addressListTokens(list)
	if err != nil {
		return nil, err
	}
	return field{"Bcc", tokens}.fold(), nil
}
