//go:build !windows

package desktop

import (
	"errors"
	"testing"
)

func TestNothingToRegisterOutsideWindows(t *testing.T) {
	registered, supported, err := MailtoHandlerStatus()
	if registered || supported || err != nil {
		t.Errorf("MailtoHandlerStatus() = %v, %v, %v; want false, false, nil", registered, supported, err)
	}
	if err := RegisterMailtoHandler(exe); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("RegisterMailtoHandler = %v, want errors.ErrUnsupported", err)
	}
	if err := OpenDefaultAppsSettings(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("OpenDefaultAppsSettings = %v, want errors.ErrUnsupported", err)
	}
}
