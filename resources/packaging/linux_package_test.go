//go:build linux

package packaging

import (
	"bytes"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/postie-app/postie/resources"
)

// installedFiles are the files the archive's Makefile installs, below the
// prefix, each with its permissions.
var installedFiles = map[string]fs.FileMode{
	"bin/postie":                        0o755,
	"share/applications/" + desktopName: 0o644,
	"share/metainfo/" + metainfoName:    0o644,
	"share/icons/hicolor/512x512/apps/" + resources.AppID + ".png":  0o644,
	"share/icons/hicolor/scalable/apps/" + resources.AppID + ".svg": 0o644,
}

// TestLinuxPackage builds the archive with `make package` once, then installs
// it the ways its Makefile offers and checks what lands where.
func TestLinuxPackage(t *testing.T) {
	t.Parallel()
	dist := t.TempDir()
	makeTarget(t, "package", dist)
	archive := filepath.Join(dist, "Postie.tar.xz")
	if info, err := os.Stat(archive); err != nil {
		t.Fatalf("make package made no Postie.tar.xz: %v", err)
	} else {
		t.Logf("Postie.tar.xz: %.1f MB", float64(info.Size())/1e6)
	}
	unpacked := t.TempDir()
	run(t, nil, "tar", "-xJf", archive, "-C", unpacked)
	pkg := filepath.Join(unpacked, "postie")

	t.Run("system install", func(t *testing.T) {
		root := t.TempDir()
		run(t, nil, "make", "-C", pkg, "install", "DESTDIR="+root, "PREFIX=/usr")
		usr := filepath.Join(root, "usr")
		checkInstalled(t, usr)
		entry := desktopEntry(t, filepath.Join(usr, "share/applications", desktopName))
		if entry["Exec"] != "postie %u" {
			t.Errorf("installed Exec=%s, want postie %%u", entry["Exec"])
		}
		// validate-tree checks the metadata together with the desktop entry
		// and icon it refers to, as a software centre would find them.
		run(t, nil, "appstreamcli", "validate-tree", "--no-net", "--strict", root)
		if got := run(t, nil, filepath.Join(usr, "bin/postie"), "version"); got != "postie "+resources.Version+"\n" {
			t.Errorf("the packaged postie version printed %q, want postie %s", got, resources.Version)
		}

		run(t, nil, "make", "-C", pkg, "uninstall", "DESTDIR="+root, "PREFIX=/usr")
		checkRemoved(t, usr)
	})

	t.Run("user install", func(t *testing.T) {
		home := t.TempDir()
		local := filepath.Join(home, ".local")
		run(t, []string{"HOME=" + home}, "make", "-C", pkg, "user-install")
		checkInstalled(t, local)
		applications := filepath.Join(local, "share/applications")
		entry := desktopEntry(t, filepath.Join(applications, desktopName))
		// Unquoted: the path holds no character the Desktop Entry
		// specification reserves, and xdg-open's generic opener cannot run
		// a quoted one.
		if want := filepath.Join(local, "bin/postie") + ` %u`; entry["Exec"] != want {
			t.Errorf("Exec=%s, want %s: ~/.local/bin need not be on PATH", entry["Exec"], want)
		}
		// update-desktop-database's cache is where programs look up the
		// handlers of a URL scheme.
		cache, err := os.ReadFile(filepath.Join(applications, "mimeinfo.cache"))
		if err != nil {
			t.Fatalf("user-install left no MIME cache: %v", err)
		}
		if !strings.Contains(string(cache), "\nx-scheme-handler/mailto="+desktopName+";") {
			t.Errorf("mimeinfo.cache does not list Postie for mailto: links:\n%s", cache)
		}

		run(t, []string{"HOME=" + home}, "make", "-C", pkg, "user-uninstall")
		checkRemoved(t, local)
		cache, _ = os.ReadFile(filepath.Join(applications, "mimeinfo.cache"))
		if strings.Contains(string(cache), desktopName) {
			t.Errorf("after user-uninstall mimeinfo.cache still lists Postie:\n%s", cache)
		}
	})

	t.Run("email links", func(t *testing.T) { testEmailLinks(t, pkg) })
}

// checkInstalled checks the installed files below prefix: each present with
// its permissions, the desktop entry and metadata valid, the icon Postie's.
func checkInstalled(t *testing.T, prefix string) {
	t.Helper()
	for name, mode := range installedFiles {
		info, err := os.Stat(filepath.Join(prefix, name))
		if err != nil {
			t.Errorf("not installed: %v", err)
			continue
		}
		if info.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", name, info.Mode().Perm(), mode)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	desktop := filepath.Join(prefix, "share/applications", desktopName)
	validateDesktopEntry(t, desktop)
	if types := strings.Split(desktopEntry(t, desktop)["MimeType"], ";"); !slices.Contains(types, "x-scheme-handler/mailto") {
		t.Errorf("installed desktop entry has MimeType %v, without x-scheme-handler/mailto", types)
	}
	validateMetainfo(t, filepath.Join(prefix, "share/metainfo", metainfoName))

	icon, err := os.ReadFile(filepath.Join(prefix, "share/icons/hicolor/512x512/apps", resources.AppID+".png"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(icon)); err != nil || cfg.Width != 512 || cfg.Height != 512 {
		t.Errorf("installed icon is not a 512×512 PNG: %v", err)
	}
	if !bytes.Equal(icon, resources.IconPNG) {
		t.Error("installed icon is not resources/icon.png")
	}
}

// checkRemoved checks that uninstalling left none of the installed files.
func checkRemoved(t *testing.T, prefix string) {
	t.Helper()
	for name := range installedFiles {
		if _, err := os.Lstat(filepath.Join(prefix, name)); err == nil {
			t.Errorf("uninstall left %s", name)
		}
	}
}
