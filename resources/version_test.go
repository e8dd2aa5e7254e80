package resources

import (
	"testing"

	"github.com/BurntSushi/toml"
)

// fyneApp is the part of FyneApp.toml that must agree with this package.
type fyneApp struct {
	Details struct {
		ID, Name, Version, Icon string
		Build                   int
	}
}

// TestFyneAppTomlMatchesVersionAndAppID keeps the packages' metadata in step
// with Version and AppID, which are the single source of both.
func TestFyneAppTomlMatchesVersionAndAppID(t *testing.T) {
	var app fyneApp
	if _, err := toml.DecodeFile("../FyneApp.toml", &app); err != nil {
		t.Fatalf("reading FyneApp.toml: %v", err)
	}
	d := app.Details
	if d.Version != Version {
		t.Errorf("FyneApp.toml Version = %q, resources.Version = %q: change both together", d.Version, Version)
	}
	if d.ID != AppID {
		t.Errorf("FyneApp.toml ID = %q, resources.AppID = %q", d.ID, AppID)
	}
	if d.Name != "Postie" {
		t.Errorf("FyneApp.toml Name = %q, want Postie", d.Name)
	}
	if d.Build < 1 {
		t.Errorf("FyneApp.toml Build = %d, want a build number of 1 or more", d.Build)
	}
	if d.Icon != "resources/icon.png" {
		t.Errorf("FyneApp.toml Icon = %q, want resources/icon.png, the icon embedded as IconPNG", d.Icon)
	}
}
