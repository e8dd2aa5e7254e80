package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// readPassword reads the password from standard input, dropping one
// trailing line ending so that `echo secret |` works.
func readPassword(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return "", fmt.Errorf("cannot read the password from standard input: %v", err)
	}
	secret := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if secret == "" {
		return "", errors.New("--password-stdin was given, but standard input holds no password")
	}
	return secret, nil
}
