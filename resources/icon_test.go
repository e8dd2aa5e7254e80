package resources

import (
	"bytes"
	"encoding/xml"
	"image/color"
	"image/png"
	"os/exec"
	"testing"
)

func TestIconPNGIs512Square(t *testing.T) {
	cfg, err := png.DecodeConfig(bytes.NewReader(IconPNG))
	if err != nil {
		t.Fatalf("icon.png is not a PNG: %v", err)
	}
	if cfg.Width != 512 || cfg.Height != 512 {
		t.Fatalf("icon.png is %d×%d, want 512×512", cfg.Width, cfg.Height)
	}
}

func TestIconSVGIsA512UnitSVG(t *testing.T) {
	var svg struct {
		XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
		ViewBox string   `xml:"viewBox,attr"`
	}
	if err := xml.Unmarshal(IconSVG, &svg); err != nil {
		t.Fatalf("icon.svg is not SVG: %v", err)
	}
	if svg.ViewBox != "0 0 512 512" {
		t.Fatalf("icon.svg viewBox = %q, want \"0 0 512 512\" (the PNG is rendered from it 1:1)", svg.ViewBox)
	}
}

// TestIconPNGIsRenderedFromSVG catches an icon.svg edit committed without a
// fresh icon.png. Renderer versions differ in anti-aliasing, so it allows
// small differences and fails on changed shapes or colours.
func TestIconPNGIsRenderedFromSVG(t *testing.T) {
	rsvg, err := exec.LookPath("rsvg-convert")
	if err != nil {
		t.Fatal("rsvg-convert is missing: make test installs librsvg2-bin")
	}
	cmd := exec.Command(rsvg, "-w", "512", "-h", "512")
	cmd.Stdin = bytes.NewReader(IconSVG)
	rendered, err := cmd.Output()
	if err != nil {
		t.Fatalf("rsvg-convert: %v", err)
	}
	want, err := png.Decode(bytes.NewReader(rendered))
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(bytes.NewReader(IconPNG))
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("icon.png bounds %v, rendering %v", got.Bounds(), want.Bounds())
	}
	differing := 0
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !nearlyEqual(got.At(x, y), want.At(x, y)) {
				differing++
			}
		}
	}
	if limit := b.Dx() * b.Dy() / 200; differing > limit {
		t.Fatalf("icon.png differs from icon.svg in %d pixels (limit %d): re-render it with rsvg-convert -w 512 -h 512 icon.svg -o icon.png", differing, limit)
	}
}

// nearlyEqual reports whether two colours are within anti-aliasing noise of each
// other in every channel.
func nearlyEqual(a, b color.Color) bool {
	const noise = 32 << 8
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	for _, d := range []int64{int64(ar) - int64(br), int64(ag) - int64(bg), int64(ab) - int64(bb), int64(aa) - int64(ba)} {
		if d > noise || d < -noise {
			return false
		}
	}
	return true
}
