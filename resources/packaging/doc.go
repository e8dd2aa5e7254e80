// Package packaging tests the packages Postie ships: that `make package`
// builds a Linux archive whose Makefile installs the program, the icon, a
// desktop entry that handles mailto: links and the AppStream metadata, all
// accepted by the desktop's own validators, and that `make package-windows`
// builds a 64-bit Windows GUI program carrying the icon and the version.
//
// It holds no code: the packaging itself is the Makefile's, with the files in
// resources/linux and resources/darwin. The tests build each package once,
// into a temporary folder, through the same make targets a person runs; they
// run on Linux, where Postie's packages are built.
package packaging
