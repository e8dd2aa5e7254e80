package desktop

import (
	"strings"
	"testing"
)

func TestExecArgQuotesOnlyWhenNeeded(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"/usr/bin/postie", "/usr/bin/postie"},
		{"--background", "--background"},
		{"/home/ann/.local/bin/postie", "/home/ann/.local/bin/postie"},
		{"/opt/My Apps/postie", `"/opt/My Apps/postie"`},
		{"/opt/50%/postie", "/opt/50%%/postie"},
		{"/opt/it's/postie", `"/opt/it's/postie"`},
		// Quoting escapes \ " ` $ with a backslash; the string value then
		// doubles every backslash.
		{`/opt/a"b/postie`, `"/opt/a\\"b/postie"`},
		{`/opt/$HOME/postie`, `"/opt/\\$HOME/postie"`},
		{`/opt/a\b/postie`, `"/opt/a\\\\b/postie"`},
		{"", `""`},
	} {
		if got := execArg(tc.arg); got != tc.want {
			t.Errorf("execArg(%q) = %s, want %s", tc.arg, got, tc.want)
		}
	}
}

func TestAutostartEntryStartsThisProgramInTheBackground(t *testing.T) {
	entry, err := autostartEntry("/home/ann/.local/bin/postie")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(entry, "\nExec=/home/ann/.local/bin/postie --background\n") {
		t.Errorf("entry lacks the unquoted Exec line:\n%s", entry)
	}
	if autostartDisabled(entry) {
		t.Errorf("the entry Postie writes counts as switched off:\n%s", entry)
	}
}

func TestAutostartEntryRefusesPathsItCannotName(t *testing.T) {
	for _, p := range []string{"", "postie", "bin/postie", "/opt/a=b/postie", "/opt/50%/postie", "/opt/a\nb/postie", "/opt/a\tb/postie", "/opt/\xff/postie"} {
		if entry, err := autostartEntry(p); err == nil {
			t.Errorf("autostartEntry(%q) succeeded:\n%s", p, entry)
		}
	}
}

func TestAutostartSwitchedOffElsewhere(t *testing.T) {
	for _, tc := range []struct {
		entry string
		off   bool
	}{
		{"[Desktop Entry]\nExec=postie\n", false},
		{"[Desktop Entry]\nExec=postie\nHidden=true\n", true},
		{"[Desktop Entry]\nExec=postie\nHidden=false\n", false},
		{"[Desktop Entry]\nX-GNOME-Autostart-enabled=false\n", true},
		{"[Desktop Entry]\nX-GNOME-Autostart-enabled=true\n", false},
		// Keys of other groups (an action, say) are not the entry's.
		{"[Desktop Entry]\nExec=postie\n[Desktop Action x]\nHidden=true\n", false},
	} {
		if got := autostartDisabled(tc.entry); got != tc.off {
			t.Errorf("autostartDisabled(%q) = %v, want %v", tc.entry, got, tc.off)
		}
	}
}

func TestRunCommandQuotesTheProgram(t *testing.T) {
	got, err := runCommand(exe)
	if want := `"C:\Program Files\Postie\Postie.exe" --background`; got != want || err != nil {
		t.Errorf("runCommand = %s, %v; want %s", got, err, want)
	}
	for _, p := range []string{"", "Postie.exe", "/usr/bin/postie", `C:\Post"ie.exe`} {
		if _, err := runCommand(p); err == nil {
			t.Errorf("runCommand(%q) succeeded, want an error", p)
		}
	}
}

func TestStartupApprovedRecord(t *testing.T) {
	for _, tc := range []struct {
		record []byte
		off    bool
	}{
		{nil, false},
		{[]byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{[]byte{6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{[]byte{3, 0, 0, 0, 0x10, 0x20, 0x30, 0x40, 0, 0, 0, 0}, true},
	} {
		if got := startupApprovedDisabled(tc.record); got != tc.off {
			t.Errorf("startupApprovedDisabled(% x) = %v, want %v", tc.record, got, tc.off)
		}
	}
}
