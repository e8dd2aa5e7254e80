// Package ui is Postie's desktop interface, built with Fyne: account setup,
// compose, the outbox and the sent log. It only presents. Protocol logic
// lives in mail and accounts, and network, keyring and disk work never run
// on the UI goroutine: they run in goroutines with contexts and timeouts, and
// their results reach widgets through fyne.Do only.
//
// One file holds one view: welcome.go (first run), the composer,
// messages.go (Outbox and Sent), details.go, accounts.go with wizard.go,
// settings.go, about.go and demo.go (the Demo inbox). The composer is split
// along its seams: compose.go (layout, From picker and signature, the
// fields in and out), compose_drafts.go (autosave, saving, discarding),
// compose_mailto.go (email links), compose_attachments.go,
// compose_send.go and compose_warnings.go (what to check before sending);
// drafts.go is its Drafts dialog and sendlater.go its time picker.
// window.go holds the main window that navigates between the views,
// status.go its status bar, events.go what the outbox reports,
// background.go the tray that keeps sending once the window is closed, and
// services.go what the views call into. addressfield.go, entries.go and
// format.go are shared widgets and formatting; mailtohandler.go offers to
// open email links; autostart.go, Settings' start at login; i18n.go loads
// the translations.
package ui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/postie-app/postie/mail/store"
	"github.com/postie-app/postie/resources"
	postiedesktop "github.com/postie-app/postie/ui/desktop"
	"github.com/postie-app/postie/ui/instance"
)

// options are the window's command-line arguments.
type options struct {
	demo bool
	// background starts Postie without showing its window, as the login
	// session does (postiedesktop.BackgroundFlag).
	background bool
	mailto     string
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var opts options
	fs := flag.NewFlagSet("postie", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&opts.demo, "demo", false, "try Postie with a built-in demo mail server")
	fs.BoolVar(&opts.background, strings.TrimPrefix(postiedesktop.BackgroundFlag, "--"), false, "start without showing the window, as at login")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	for _, arg := range fs.Args() {
		if !strings.HasPrefix(strings.ToLower(arg), "mailto:") {
			return opts, fmt.Errorf("postie: unexpected argument %q", arg)
		}
		opts.mailto = arg
	}
	return opts, nil
}

// demoDir is where demo mode keeps its own database and inbox, apart from
// the user's real data.
func demoDir(dataDir string) string { return filepath.Join(dataDir, "demo") }

// Run opens Postie's main window and returns the process exit code once the
// user closes it. args are the window's own arguments (see cli.WantsWindow).
func Run(args []string) int { return run(args, nil) }

// run is Run. drive, when not nil, is how the real-window tests use the app
// as a person would: it runs on its own goroutine once the window is built
// and listening for later launches, and the app quits when it returns.
func run(args []string, drive func(*mainWindow)) int {
	opts, err := parseArgs(args, os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, err)
		}
		return 64
	}
	loadTranslations() // start-up failures are told in the user's language too
	dir, err := store.DataDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "postie:", errorMessage(err))
		return 78
	}
	if opts.demo {
		dir = demoDir(dir)
	}
	// Private before anything is made in it, the hand-off socket included:
	// whoever can reach that socket can put text into the composer.
	if _, err := store.MakePrivateDir(dir); err != nil {
		fmt.Fprintln(os.Stderr, "postie:", errorMessage(err))
		return 73
	}
	// A second launch, such as a mailto: link clicked in a browser, goes to
	// the window that is already open.
	if handed, err := instance.HandOff(context.Background(), dir, args); handed {
		return 0
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "postie:", err)
	}

	a := app.NewWithID(resources.AppID)
	a.SetIcon(appIcon)
	w := newMainWindow(a, dir, opts, nil)
	if l, err := instance.Listen(dir); err == nil {
		defer l.Close()
		go l.Serve(func(args []string) { w.do(func() { w.handleLaunch(args) }) })
	} else {
		fyne.LogError("Another launch cannot hand mailto: links to this window", err)
	}
	if drive != nil {
		go func() {
			drive(w)
			fyne.Do(a.Quit)
		}()
	}
	if opts.background {
		// Started at login: the outbox works without the window, which
		// stays hidden. What the user sees meanwhile (a tray icon, say) is
		// the background mode's to show; a later launch shows the window
		// (handleLaunch).
		a.Run()
	} else {
		w.win.ShowAndRun()
	}
	w.shutdown()
	return 0
}

var appIcon = fyne.NewStaticResource("postie.png", resources.IconPNG)
