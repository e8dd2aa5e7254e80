//go:build linux

// Command firstframe starts a program and reports how long it took, from
// just before the process was started, until its window showed its first
// frame on the X server. The start-up benchmark (ui/bench/startup.sh) runs
// it for Postie and for an empty Fyne window, so that both are
// measured by the same clock, the same polling and the same test.
//
// What "first frame" means here: the window is mapped and every pixel
// sampled from it has been drawn by the program. GLFW creates its windows
// without a background, so the X server never paints a new window; until
// the program's first buffer swap reaches the server, the window shows what
// was beneath it. firstframe therefore paints the root window in a colour
// no Fyne theme uses (pure magenta) before starting the program, and the
// first frame is the first poll in which the window is viewable and none of
// the pixels sampled on 16 rows across its whole height are magenta. Mesa's
// software rasteriser hands each frame to the server as one PutImage
// request, which the server executes whole, so a poll sees either no frame
// or a complete one. This needs no window manager (none is running under
// Xvfb) and works the same for any program.
//
// With -change it also reports when the sampled pixels first differ from
// the first frame's: for Postie, when the views replace the "Opening
// Postie…" placeholder.
//
// The window is then closed the way a window manager closes it
// (WM_DELETE_WINDOW), so that the program exits normally and the next run
// finds its data as a person's next start would.
//
// Usage: firstframe [-interval 5ms] [-timeout 60s] [-change] [-shots DIR] -- PROGRAM [ARG...]
// It prints one line: "mapped_ms=M first_ms=F", with " change_ms=C" when
// asked; mapped is when the window was first seen viewable, drawn or not.
package main

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/Xatom.h>

// Requests on a window that is not mapped yet, or already gone, fail; the
// poll then simply finds nothing.
static int ignoreErrors(Display *d, XErrorEvent *e) { return 0; }
static void quietErrors(void) { XSetErrorHandler(ignoreErrors); }

// paintRoot fills the root window with the sentinel colour.
static void paintRoot(Display *d, unsigned long pixel) {
	Window root = DefaultRootWindow(d);
	XSetWindowBackground(d, root, pixel);
	XClearWindow(d, root);
	XSync(d, False);
}

static unsigned long rgbPixel(Visual *v, unsigned r, unsigned g, unsigned b) {
	unsigned long p = 0;
	unsigned long masks[3] = {v->red_mask, v->green_mask, v->blue_mask};
	unsigned vals[3] = {r, g, b};
	for (int i = 0; i < 3; i++) {
		unsigned long m = masks[i];
		int shift = 0, bits = 0;
		while (m && !(m & 1)) { m >>= 1; shift++; }
		while (m & 1) { m >>= 1; bits++; }
		p |= ((unsigned long)(vals[i] >> (8 - bits)) << shift);
	}
	return p;
}

static unsigned long rootSentinel(Display *d) {
	return rgbPixel(DefaultVisual(d, DefaultScreen(d)), 0xff, 0x00, 0xff);
}

static long windowPID(Display *d, Window w, Atom pidAtom) {
	Atom type; int format; unsigned long n, after; unsigned char *data = NULL;
	long pid = -1;
	if (XGetWindowProperty(d, w, pidAtom, 0, 1, False, XA_CARDINAL, &type, &format, &n, &after, &data) == Success) {
		if (data && n == 1 && format == 32) pid = *(long *)data;
		if (data) XFree(data);
	}
	return pid;
}

// topWindows lists up to max top-level windows that carry a _NET_WM_PID,
// with their PIDs.
static int topWindows(Display *d, Window *wins, long *pids, int max) {
	Atom pidAtom = XInternAtom(d, "_NET_WM_PID", True);
	if (pidAtom == None) return 0;
	Window root, parent, *children = NULL; unsigned int n = 0;
	int count = 0;
	if (!XQueryTree(d, DefaultRootWindow(d), &root, &parent, &children, &n)) return 0;
	for (unsigned int i = 0; i < n && count < max; i++) {
		long pid = windowPID(d, children[i], pidAtom);
		if (pid > 0) { wins[count] = children[i]; pids[count] = pid; count++; }
	}
	if (children) XFree(children);
	return count;
}

// viewableWindows counts the mapped top-level windows.
static int viewableWindows(Display *d) {
	Window root, parent, *children = NULL; unsigned int n = 0;
	int count = 0;
	if (!XQueryTree(d, DefaultRootWindow(d), &root, &parent, &children, &n)) return -1;
	for (unsigned int i = 0; i < n; i++) {
		XWindowAttributes a;
		if (XGetWindowAttributes(d, children[i], &a) && a.map_state == IsViewable) count++;
	}
	if (children) XFree(children);
	return count;
}

// sample reads `rows` rows spread over the window's height. It returns -1
// when the window is not viewable (or gone), else the number of sentinel
// pixels, and sets *hash to a hash of all sampled pixels.
static long sample(Display *d, Window w, int rows, unsigned long long *hash) {
	XWindowAttributes a;
	if (!XGetWindowAttributes(d, w, &a) || a.map_state != IsViewable || a.width < 1 || a.height < 1) return -1;
	unsigned long rgb = a.visual->red_mask | a.visual->green_mask | a.visual->blue_mask;
	unsigned long sentinel = rgbPixel(a.visual, 0xff, 0x00, 0xff);
	unsigned long long h = 1469598103934665603ULL;
	long found = 0;
	for (int r = 0; r < rows; r++) {
		int y = (int)((long)a.height * (2 * r + 1) / (2 * rows));
		XImage *img = XGetImage(d, w, 0, y, a.width, 1, AllPlanes, ZPixmap);
		if (!img) return -1;
		for (int x = 0; x < a.width; x++) {
			unsigned long p = XGetPixel(img, x, 0) & rgb;
			if (p == sentinel) found++;
			h = (h ^ p) * 1099511628211ULL;
		}
		XDestroyImage(img);
	}
	*hash = h;
	return found;
}

// grab copies the whole window as 0xRRGGBB values into a malloc'ed buffer.
static unsigned int *grab(Display *d, Window w, int *width, int *height) {
	XWindowAttributes a;
	if (!XGetWindowAttributes(d, w, &a) || a.map_state != IsViewable) return NULL;
	XImage *img = XGetImage(d, w, 0, 0, a.width, a.height, AllPlanes, ZPixmap);
	if (!img) return NULL;
	unsigned int *out = malloc(sizeof(unsigned int) * a.width * a.height);
	Visual *v = a.visual;
	for (int y = 0; y < a.height; y++)
		for (int x = 0; x < a.width; x++) {
			unsigned long p = XGetPixel(img, x, y);
			unsigned long ch[3] = {p & v->red_mask, p & v->green_mask, p & v->blue_mask};
			unsigned long masks[3] = {v->red_mask, v->green_mask, v->blue_mask};
			unsigned int rgb = 0;
			for (int i = 0; i < 3; i++) {
				unsigned long m = masks[i], c = ch[i];
				while (m && !(m & 1)) { m >>= 1; c >>= 1; }
				int bits = 0; while (m & 1) { m >>= 1; bits++; }
				rgb = (rgb << 8) | (unsigned int)((c << (8 - bits)) & 0xff);
			}
			out[y * a.width + x] = rgb;
		}
	XDestroyImage(img);
	*width = a.width; *height = a.height;
	return out;
}

// closeWindow asks the program to close its window, as a window manager's
// close button does (ICCCM 4.2.8.1).
static void closeWindow(Display *d, Window w) {
	XEvent ev;
	memset(&ev, 0, sizeof ev);
	ev.xclient.type = ClientMessage;
	ev.xclient.window = w;
	ev.xclient.message_type = XInternAtom(d, "WM_PROTOCOLS", False);
	ev.xclient.format = 32;
	ev.xclient.data.l[0] = XInternAtom(d, "WM_DELETE_WINDOW", False);
	ev.xclient.data.l[1] = CurrentTime;
	XSendEvent(d, w, False, NoEventMask, &ev);
	XFlush(d);
}
*/
import "C"

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"
)

// sampledRows is how many rows, spread evenly over the window, each poll
// reads.
const sampledRows = 16

func main() {
	interval := flag.Duration("interval", 5*time.Millisecond, "time between two polls of the X server")
	timeout := flag.Duration("timeout", 60*time.Second, "give up when no frame has come after this long")
	change := flag.Bool("change", false, "also report when the window's content first changes after the first frame")
	shots := flag.String("shots", "", "save the window at each reported moment as PNG files in this folder")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: firstframe [-interval D] [-timeout D] [-change] [-shots DIR] -- PROGRAM [ARG...]")
		os.Exit(64)
	}
	if err := run(flag.Args(), *interval, *timeout, *change, *shots); err != nil {
		fmt.Fprintln(os.Stderr, "firstframe:", err)
		os.Exit(1)
	}
}

func run(argv []string, interval, timeout time.Duration, change bool, shots string) error {
	d := C.XOpenDisplay(nil)
	if d == nil {
		return errors.New("cannot open the X display (is DISPLAY set?)")
	}
	defer C.XCloseDisplay(d)
	C.quietErrors()
	if err := waitNoWindows(d, 10*time.Second); err != nil {
		return err
	}
	C.paintRoot(d, C.rootSentinel(d))

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	// Its own process group, so that a program left running after a
	// failure is stopped with everything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var win C.Window
	var mapped, first, changed time.Duration
	var firstHash C.ulonglong
	var pictures []picture
	tick := time.NewTicker(interval)
	defer tick.Stop()
	deadline := time.After(timeout)
	for first == 0 || (change && changed == 0) {
		select {
		case err := <-exited:
			killGroup(cmd)
			return fmt.Errorf("%s exited before its first frame: %v", argv[0], err)
		case <-deadline:
			killGroup(cmd)
			<-exited
			return fmt.Errorf("%s showed no frame within %v", argv[0], timeout)
		case <-tick.C:
		}
		if win == 0 {
			if win = findWindow(d, cmd.Process.Pid); win == 0 {
				continue
			}
		}
		var hash C.ulonglong
		sentinels := C.sample(d, win, sampledRows, &hash)
		now := time.Since(start)
		if sentinels >= 0 && mapped == 0 {
			mapped = now
		}
		switch {
		case sentinels != 0: // not viewable, or not (wholly) drawn yet
		case first == 0:
			first, firstHash = now, hash
			pictures = append(pictures, grab(d, win, shots, "first.png"))
		case hash != firstHash:
			changed = now
			pictures = append(pictures, grab(d, win, shots, "change.png"))
		}
	}
	fmt.Printf("mapped_ms=%.1f first_ms=%.1f", ms(mapped), ms(first))
	if change {
		fmt.Printf(" change_ms=%.1f", ms(changed))
	}
	fmt.Println()
	err := closeAndWait(d, win, cmd, exited)
	for _, p := range pictures {
		p.save()
	}
	return err
}

// findWindow returns the window of the program started as pid, or of a
// process it started (the program may be run through a wrapper), or 0.
func findWindow(d *C.Display, pid int) C.Window {
	const max = 64
	var wins [max]C.Window
	var pids [max]C.long
	n := int(C.topWindows(d, &wins[0], &pids[0], max))
	for i := range n {
		if descends(int(pids[i]), pid) {
			return wins[i]
		}
	}
	return 0
}

// descends reports whether process p is ancestor or one of its descendants.
func descends(p, ancestor int) bool {
	for p > 1 {
		if p == ancestor {
			return true
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			return false
		}
		// The fields after the command name, which is in parentheses and
		// may hold spaces: state, then the parent's PID.
		var state string
		if _, err := fmt.Sscan(string(stat[bytes.LastIndexByte(stat, ')')+1:]), &state, &p); err != nil {
			return false
		}
	}
	return false
}

// killGroup stops the program and every process it started.
func killGroup(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// waitNoWindows waits until no window is on screen, so that the previous
// run's window cannot be mistaken for a frame or cover the root.
func waitNoWindows(d *C.Display, limit time.Duration) error {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if C.viewableWindows(d) == 0 {
			return nil
		}
	}
	return errors.New("another window is still on screen; the measurement needs an empty display")
}

// closeAndWait closes the window and waits for the program to exit; one
// that does not within 20 s is killed, and that is an error.
func closeAndWait(d *C.Display, win C.Window, cmd *exec.Cmd, exited <-chan error) error {
	C.closeWindow(d, win)
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("%s exited with %v after its window was closed", cmd.Path, err)
		}
		return nil
	case <-time.After(20 * time.Second):
		killGroup(cmd)
		<-exited
		return fmt.Errorf("%s did not exit within 20 s of its window being closed", cmd.Path)
	}
}

// picture is a copy of the window, taken when a moment was reported and
// encoded afterwards, so that encoding does not delay the next poll.
type picture struct {
	path string
	img  *image.RGBA
}

// grab copies the window when dir is set.
func grab(d *C.Display, win C.Window, dir, name string) picture {
	if dir == "" {
		return picture{}
	}
	var w, h C.int
	buf := C.grab(d, win, &w, &h)
	if buf == nil {
		fmt.Fprintln(os.Stderr, "firstframe: the window could not be read for", name)
		return picture{}
	}
	defer C.free(unsafe.Pointer(buf))
	pixels := unsafe.Slice((*uint32)(unsafe.Pointer(buf)), int(w)*int(h))
	img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
	for i, p := range pixels {
		img.Set(i%int(w), i/int(w), color.RGBA{uint8(p >> 16), uint8(p >> 8), uint8(p), 0xff})
	}
	return picture{filepath.Join(dir, name), img}
}

func (p picture) save() {
	if p.img == nil {
		return
	}
	f, err := os.Create(p.path)
	if err == nil {
		err = png.Encode(f, p.img)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "firstframe:", err)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
