package desktop

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const exe = `C:\Program Files\Postie\Postie.exe`

func registration(t *testing.T, exePath string) map[[2]string]string {
	t.Helper()
	values, err := mailtoRegistration(exePath)
	if err != nil {
		t.Fatal(err)
	}
	m := map[[2]string]string{}
	for _, v := range values {
		if !strings.HasPrefix(v.Key, `Software\`) {
			t.Errorf("key %q is outside HKEY_CURRENT_USER\\Software", v.Key)
		}
		m[[2]string{v.Key, v.Name}] = v.Data
	}
	return m
}

func TestMailtoRegistrationQuotesTheProgramAndTheLink(t *testing.T) {
	r := registration(t, exe)
	if got, want := r[[2]string{`Software\Classes\Postie.mailto\shell\open\command`, ""}], `"C:\Program Files\Postie\Postie.exe" "%1"`; got != want {
		t.Errorf("open command = %s, want %s", got, want)
	}
	if got, want := r[[2]string{`Software\Classes\Postie.mailto\DefaultIcon`, ""}], `"C:\Program Files\Postie\Postie.exe",0`; got != want {
		t.Errorf("icon = %s, want %s", got, want)
	}
}

// TestMailtoRegistrationIsListedInDefaultApps follows the chain Settings ›
// Default apps reads: RegisteredApplications names the Capabilities key,
// whose URLAssociations map mailto to a ProgID that has an open command.
func TestMailtoRegistrationIsListedInDefaultApps(t *testing.T) {
	r := registration(t, exe)
	capabilities, ok := r[[2]string{`Software\RegisteredApplications`, "Postie"}]
	if !ok {
		t.Fatal("Postie is not in RegisteredApplications")
	}
	if r[[2]string{capabilities, "ApplicationName"}] != "Postie" {
		t.Errorf("%s has no ApplicationName Postie", capabilities)
	}
	progID, ok := r[[2]string{capabilities + `\URLAssociations`, "mailto"}]
	if !ok {
		t.Fatalf("%s\\URLAssociations does not associate mailto", capabilities)
	}
	if _, ok := r[[2]string{`Software\Classes\` + progID + `\shell\open\command`, ""}]; !ok {
		t.Errorf("ProgID %s has no open command", progID)
	}
}

func TestMailtoRegistrationRefusesPathsWindowsCannotRun(t *testing.T) {
	for _, p := range []string{"", "Postie.exe", `Postie\Postie.exe`, "/usr/bin/postie", `C:`, `C:\Post"ie.exe`} {
		if _, err := mailtoRegistration(p); err == nil {
			t.Errorf("mailtoRegistration(%q) succeeded, want an error", p)
		}
	}
	for _, p := range []string{`c:/Users/Ann/Postie.exe`, `\\server\apps\Postie.exe`} {
		if _, err := mailtoRegistration(p); err != nil {
			t.Errorf("mailtoRegistration(%q): %v", p, err)
		}
	}
}

func TestIsRegisteredForNeedsEveryValueOfThisProgram(t *testing.T) {
	stored := registration(t, exe)
	read := func(key, name string) (string, error) {
		v, ok := stored[[2]string{key, name}]
		if !ok {
			return "", errMissing
		}
		return v, nil
	}
	check := func(exePath string, want bool) {
		t.Helper()
		got, err := isRegisteredFor(exePath, read)
		if err != nil || got != want {
			t.Errorf("isRegisteredFor(%q) = %v, %v; want %v", exePath, got, err, want)
		}
	}
	check(exe, true)
	check(strings.ToLower(exe), true) // Windows paths ignore case
	check(`D:\Old\Postie.exe`, false) // registered by a copy elsewhere
	delete(stored, [2]string{`Software\RegisteredApplications`, "Postie"})
	check(exe, false)

	broken := errors.New("access denied")
	if _, err := isRegisteredFor(exe, func(string, string) (string, error) { return "", broken }); !errors.Is(err, broken) {
		t.Errorf("a failing registry read gave %v, want it reported", err)
	}
}

// TestWindowsCodeCompiles vets the Windows half, which the tests above can
// only reach through its data, for Windows.
func TestWindowsCodeCompiles(t *testing.T) {
	cmd := exec.Command("go", "vet", ".")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet for windows: %v\n%s", err, out)
	}
}
