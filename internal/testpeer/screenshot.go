package testpeer

import "image"

// Blank reports whether a capture is one colour all over, as a window
// captured before it drew anything (or by a GL driver that reads back
// nothing) is. It samples every seventh pixel of every seventh row.
func Blank(img image.Image) bool {
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if img.At(x, y) != first {
				return false
			}
		}
	}
	return true
}
