//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package accounts

// classifyKeyringError: the Keychain and the Credential Manager are always
// present, so any failure is reported as it is.
func classifyKeyringError(err error) *KeyringError {
	return &KeyringError{Problem: KeyringFailed, Err: err}
}
