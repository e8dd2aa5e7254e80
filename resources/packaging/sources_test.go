//go:build linux

package packaging

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/postie-app/postie/resources"
)

var linuxDir = filepath.Join(repoRoot, "resources", "linux")

func TestDesktopEntryIsValidAndHandlesMailto(t *testing.T) {
	path := filepath.Join(linuxDir, desktopName)
	validateDesktopEntry(t, path)
	entry := desktopEntry(t, path)
	if entry["Exec"] != "postie %u" {
		t.Errorf("Exec=%s, want postie %%u: a mailto: link arrives as the one URL argument", entry["Exec"])
	}
	if !slices.Contains(strings.Split(entry["MimeType"], ";"), "x-scheme-handler/mailto") {
		t.Errorf("MimeType=%s does not declare x-scheme-handler/mailto", entry["MimeType"])
	}
	if entry["Icon"] != resources.AppID {
		t.Errorf("Icon=%s, want the app ID %s, the name the icon is installed under", entry["Icon"], resources.AppID)
	}
}

// TestDesktopEntryAgreesWithFyneAppToml keeps the shipped entry and the
// [LinuxAndBSD] metadata, from which fyne would generate one, in step.
func TestDesktopEntryAgreesWithFyneAppToml(t *testing.T) {
	app := readFyneApp(t)
	entry := desktopEntry(t, filepath.Join(linuxDir, desktopName))
	list := func(items []string) string { return strings.Join(items, ";") + ";" }
	for key, want := range map[string]string{
		"Name":        app.Details.Name,
		"GenericName": app.LinuxAndBSD.GenericName,
		"Comment":     app.LinuxAndBSD.Comment,
		"Categories":  list(app.LinuxAndBSD.Categories),
		"Keywords":    list(app.LinuxAndBSD.Keywords),
		"Exec":        "postie" + app.LinuxAndBSD.ExecParams,
	} {
		if entry[key] != want {
			t.Errorf("%s: %s=%s, FyneApp.toml says %s", desktopName, key, entry[key], want)
		}
	}
}

// metainfo is what the tests read of the AppStream metadata.
type metainfo struct {
	ID         string `xml:"id"`
	Summary    string `xml:"summary"`
	Launchable []struct {
		Type string `xml:"type,attr"`
		Name string `xml:",chardata"`
	} `xml:"launchable"`
	Releases []struct {
		Version string `xml:"version,attr"`
	} `xml:"releases>release"`
	MediaTypes []string `xml:"provides>mediatype"`
}

func readMetainfo(t *testing.T, path string) metainfo {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m metainfo
	if err := xml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func TestMetainfoIsValidAndDescribesThisRelease(t *testing.T) {
	path := filepath.Join(linuxDir, metainfoName)
	validateMetainfo(t, path)
	m := readMetainfo(t, path)
	if m.ID != resources.AppID {
		t.Errorf("id %q, want %q", m.ID, resources.AppID)
	}
	if len(m.Launchable) != 1 || m.Launchable[0].Type != "desktop-id" || m.Launchable[0].Name != desktopName {
		t.Errorf("launchable %+v, want the desktop-id %s", m.Launchable, desktopName)
	}
	if len(m.Releases) == 0 || m.Releases[0].Version != resources.Version {
		t.Errorf("releases %+v: the newest, first, must be resources.Version %s", m.Releases, resources.Version)
	}
	if !slices.Contains(m.MediaTypes, "x-scheme-handler/mailto") {
		t.Errorf("provides mediatypes %v, want x-scheme-handler/mailto", m.MediaTypes)
	}
	if want := readFyneApp(t).LinuxAndBSD.Comment; m.Summary != want {
		t.Errorf("summary %q, the desktop entry's comment is %q", m.Summary, want)
	}
}

// TestMacOSURLSchemeDeclaresMailto reads the Info.plist addition with
// Python's plistlib, an independent plist parser.
func TestMacOSURLSchemeDeclaresMailto(t *testing.T) {
	path := filepath.Join(repoRoot, "resources", "darwin", "mailto-url-scheme.plist")
	out := run(t, nil, "python3", "-c", "import json, plistlib, sys; json.dump(plistlib.load(open(sys.argv[1], 'rb')), sys.stdout)", path)
	var plist struct {
		CFBundleURLTypes []struct {
			CFBundleURLName    string
			CFBundleURLSchemes []string
		}
	}
	if err := json.Unmarshal([]byte(out), &plist); err != nil {
		t.Fatal(err)
	}
	if len(plist.CFBundleURLTypes) != 1 || !slices.Equal(plist.CFBundleURLTypes[0].CFBundleURLSchemes, []string{"mailto"}) {
		t.Fatalf("CFBundleURLTypes = %+v, want one type with the scheme mailto", plist.CFBundleURLTypes)
	}
	if name := plist.CFBundleURLTypes[0].CFBundleURLName; !strings.HasPrefix(name, resources.AppID+".") {
		t.Errorf("CFBundleURLName %q is not below the app ID %s", name, resources.AppID)
	}
}
