package resources

import _ "embed"

// IconSVG is Postie's icon as drawn: the source every other size is made from.
//
//go:embed icon.svg
var IconSVG []byte

// IconPNG is IconSVG rendered at 512×512 (rsvg-convert -w 512 -h 512
// icon.svg -o icon.png), for the window, FyneApp.toml and the packages. The
// rendering is committed so that building Postie needs no SVG renderer.
//
//go:embed icon.png
var IconPNG []byte
