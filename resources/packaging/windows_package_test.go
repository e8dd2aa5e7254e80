//go:build linux

package packaging

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/postie-app/postie/resources"
)

// Resource types, from winuser.h.
const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
	rtManifest  = 24
)

// TestWindowsPackage cross-builds Postie.exe with `make package-windows` once
// and checks that Windows will run it as a 64-bit GUI program, without a
// console window, showing Postie's icon and version.
func TestWindowsPackage(t *testing.T) {
	t.Parallel()
	dist := t.TempDir()
	makeTarget(t, "package-windows", dist)
	exe := filepath.Join(dist, "Postie.exe")
	if info, err := os.Stat(exe); err != nil {
		t.Fatalf("make package-windows made no Postie.exe: %v", err)
	} else {
		t.Logf("Postie.exe: %.1f MB", float64(info.Size())/1e6)
	}
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatalf("Postie.exe is not a PE executable: %v", err)
	}
	defer f.Close()

	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("machine %#x, want AMD64", f.Machine)
	}
	header, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatalf("optional header %T, want PE32+ (OptionalHeader64)", f.OptionalHeader)
	}
	if header.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("subsystem %d, want %d (GUI): a console window would open with Postie", header.Subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}

	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		t.Fatal("Postie.exe has no resources: no icon, no version")
	}
	res, err := rsrc.Data()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []uint32{rtIcon, rtGroupIcon, rtManifest} {
		if _, err := firstResource(res, rsrc.VirtualAddress, typ); err != nil {
			t.Error(err)
		}
	}
	version, err := firstResource(res, rsrc.VirtualAddress, rtVersion)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fixedFileVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	if want := wantFileVersion(t); got != want {
		t.Errorf("file version %s, want %s (resources.Version and FyneApp.toml's Build)", got, want)
	}
}

// firstResource returns the data of the first resource of type typ, walking
// the type, name and language levels of the resource directory (PE format,
// "The .rsrc Section"). rva is the section's address, which data entries are
// relative to.
func firstResource(rsrc []byte, rva, typ uint32) ([]byte, error) {
	entry, ok := directoryEntry(rsrc, 0, func(id uint32) bool { return id == typ })
	if !ok {
		return nil, fmt.Errorf("no resource of type %d", typ)
	}
	for level := 0; level < 2; level++ { // name, then language
		const subdirectory = 0x80000000
		if entry&subdirectory == 0 {
			return nil, fmt.Errorf("resource type %d: malformed directory", typ)
		}
		if entry, ok = directoryEntry(rsrc, entry&^subdirectory, func(uint32) bool { return true }); !ok {
			return nil, fmt.Errorf("resource type %d: empty directory", typ)
		}
	}
	if int(entry)+8 > len(rsrc) {
		return nil, fmt.Errorf("resource type %d: data entry out of range", typ)
	}
	dataRVA := binary.LittleEndian.Uint32(rsrc[entry:])
	size := binary.LittleEndian.Uint32(rsrc[entry+4:])
	start := int64(dataRVA) - int64(rva)
	if start < 0 || start+int64(size) > int64(len(rsrc)) {
		return nil, fmt.Errorf("resource type %d: data out of range", typ)
	}
	return rsrc[start : start+int64(size)], nil
}

// directoryEntry returns the offset field of the first entry of the
// directory at off whose ID matches.
func directoryEntry(rsrc []byte, off uint32, match func(id uint32) bool) (uint32, bool) {
	if int(off)+16 > len(rsrc) {
		return 0, false
	}
	named := uint32(binary.LittleEndian.Uint16(rsrc[off+12:]))
	ids := uint32(binary.LittleEndian.Uint16(rsrc[off+14:]))
	for i := named; i < named+ids; i++ {
		e := off + 16 + 8*i
		if int(e)+8 > len(rsrc) {
			return 0, false
		}
		if match(binary.LittleEndian.Uint32(rsrc[e:])) {
			return binary.LittleEndian.Uint32(rsrc[e+4:]), true
		}
	}
	return 0, false
}

// fixedFileVersion reads dwFileVersionMS and dwFileVersionLS from the
// VS_FIXEDFILEINFO in a version resource, found by its signature.
func fixedFileVersion(version []byte) (string, error) {
	sig := binary.LittleEndian.AppendUint32(nil, 0xFEEF04BD)
	i := bytes.Index(version, sig)
	if i < 0 || i+16 > len(version) {
		return "", fmt.Errorf("the version resource holds no VS_FIXEDFILEINFO")
	}
	ms := binary.LittleEndian.Uint32(version[i+8:])
	ls := binary.LittleEndian.Uint32(version[i+12:])
	return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff), nil
}

// wantFileVersion is resources.Version, padded to three parts, with
// FyneApp.toml's build number as the fourth.
func wantFileVersion(t *testing.T) string {
	parts := strings.Split(resources.Version, ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return strings.Join(append(parts, strconv.Itoa(readFyneApp(t).Details.Build)), ".")
}
