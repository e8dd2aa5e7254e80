package ui

import (
	"context"
	"io"
	"net/url"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Preference keys for what the window remembers between runs.
const (
	prefWidth  = "window.width"
	prefHeight = "window.height"
)

// defaultWindowSize is the window's size on first run.
var defaultWindowSize = fyne.NewSize(960, 680)

// mainWindow is Postie's one window: the welcome screen on first run, then
// navigation between the views.
type mainWindow struct {
	app  fyne.App
	win  fyne.Window
	dir  string
	opts options

	// ctx is cancelled when the window closes, stopping background work.
	ctx    context.Context
	cancel context.CancelFunc
	// do runs a function on the UI goroutine: fyne.DoAndWait, or in tests
	// a queue the test goroutine drains.
	do func(func())
	// tasks counts background work whose result is not yet shown; tests
	// wait on it instead of sleeping.
	tasks tasks

	svc *services // nil until opened; set and read on the UI goroutine

	welcome   *welcomeView // while no account exists
	tabs      *container.AppTabs
	compose   *composeView
	outbox    *messageList
	sent      *messageList
	accounts  *accountsView
	settings  *settingsView
	demoInbox *demoInboxView
	status    *statusBar
	body      *fyne.Container // holds the welcome screen or the tabs
	dialogs   []dialog.Dialog // open dialogs, newest last
	lazyViews []lazyView      // tabs built when first shown

	// autosaveDelay is how long after the last change a draft is saved.
	autosaveDelay time.Duration

	// bg is the window's life once closed with messages still to send.
	bg background

	// browser, when set by tests, stands in for the system browser that
	// signing in with a provider opens (see signin.go).
	browser func(*url.URL) error

	// eventApplied, when set by tests, receives each outbox event after the
	// window has shown it.
	eventApplied chan<- outboxEvent
}

// newMainWindow builds the window and starts opening the data folder.
// dispatch, nil outside tests, replaces fyne.DoAndWait.
func newMainWindow(a fyne.App, dir string, opts options, dispatch func(func())) *mainWindow {
	if dispatch == nil {
		dispatch = fyne.DoAndWait
	}
	w := &mainWindow{app: a, dir: dir, opts: opts, do: dispatch, autosaveDelay: 3 * time.Second}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.win = a.NewWindow("Postie")
	prefs := a.Preferences()
	w.win.Resize(fyne.NewSize(
		float32(prefs.FloatWithFallback(prefWidth, float64(defaultWindowSize.Width))),
		float32(prefs.FloatWithFallback(prefHeight, float64(defaultWindowSize.Height)))))
	w.win.SetCloseIntercept(w.requestClose)
	w.win.SetOnDropped(w.dropped)
	w.status = newStatusBar(w)
	// Empty until the data is open (a fraction of a second): any text here
	// would load the fonts before the first frame could be shown.
	w.body = container.NewStack()
	w.win.SetContent(container.NewBorder(nil, w.status.content, nil, nil, w.body))
	w.installShortcuts()
	w.openServices(opts.demo)
	return w
}

// background runs work off the UI goroutine and then applies its result on
// the UI goroutine, unless the window has closed meanwhile.
//
// work receives the services as they were when it was started, so a switch
// to demo mode meanwhile cannot hand it another (or a closed) database.
func (w *mainWindow) background(work func(ctx context.Context, svc *services) func()) {
	svc := w.svc
	w.tasks.add()
	go func() {
		defer w.tasks.done()
		apply := work(w.ctx, svc)
		if apply == nil || w.ctx.Err() != nil {
			return
		}
		w.do(func() {
			if w.ctx.Err() == nil {
				apply()
			}
		})
	}()
}

// later runs fn on the UI goroutine after d, unless the window has closed.
func (w *mainWindow) later(d time.Duration, fn func()) *time.Timer {
	return time.AfterFunc(d, func() {
		if w.ctx.Err() == nil {
			w.do(fn)
		}
	})
}

// tasks counts background work in flight.
type tasks struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n is 0
}

func (t *tasks) add() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
}

func (t *tasks) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 {
		close(t.idle)
	}
}

// idleChan is closed once no background work is in flight.
func (t *tasks) idleChan() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return t.idle
}

func (t *tasks) wait() { <-t.idleChan() }

// openServices opens the database, the accounts and the outbox (and the
// demo server in demo mode), then shows the welcome screen or the views.
func (w *mainWindow) openServices(demoMode bool) {
	dir := w.dir
	w.background(func(ctx context.Context, _ *services) func() {
		opened, err := openServices(ctx, dir, demoMode)
		if err != nil {
			return func() { w.showFatal(err) }
		}
		hasAccount, err := opened.hasAccounts(ctx)
		return func() {
			if w.svc != nil {
				w.svc.close()
			}
			w.svc = opened
			w.dir = dir
			if err != nil {
				w.showFatal(err)
				return
			}
			w.watchOutbox()
			if hasAccount {
				w.showMain()
			} else {
				w.showWelcome()
			}
			if w.opts.background {
				w.startInBackground()
			}
		}
	})
}

// startDemo switches this window to demo mode, with its own data folder.
func (w *mainWindow) startDemo() {
	w.dir = demoDir(w.dir)
	w.opts.demo = true
	w.body.Objects = []fyne.CanvasObject{container.NewCenter(widget.NewLabel(lang.L("Starting the demo mail server…")))}
	w.body.Refresh()
	w.openServices(true)
}

func (w *mainWindow) showFatal(err error) {
	w.body.Objects = []fyne.CanvasObject{container.NewCenter(container.NewVBox(
		widget.NewLabelWithStyle(lang.L("Postie cannot start"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewLabel(errorMessage(err)),
	))}
	w.body.Refresh()
}

func (w *mainWindow) showWelcome() {
	w.welcome = newWelcomeView(w)
	w.welcome.showWaitingLink(w.opts.mailto)
	w.body.Objects = []fyne.CanvasObject{w.welcome.content}
	w.body.Refresh()
}

// showMain builds the views and the navigation between them.
func (w *mainWindow) showMain() {
	w.welcome = nil
	w.compose = newComposeView(w)
	w.outbox = newMessageList(w, outboxList)
	w.sent = newMessageList(w, sentList)
	w.accounts = newAccountsView(w)
	w.settings = newSettingsView(w)
	items := []*container.TabItem{
		container.NewTabItemWithIcon(lang.L("Compose"), theme.MailComposeIcon(), w.compose.content),
		container.NewTabItemWithIcon(lang.L("Outbox"), theme.UploadIcon(), w.outbox.content),
		container.NewTabItemWithIcon(lang.L("Sent"), theme.MailSendIcon(), w.sent.content),
		container.NewTabItemWithIcon(lang.L("Accounts"), theme.AccountIcon(), w.accounts.content),
		container.NewTabItemWithIcon(lang.L("Settings"), theme.SettingsIcon(), w.settings.content),
		w.lazyTab(lang.L("About"), theme.InfoIcon(), func() fyne.CanvasObject { return newAboutView(w) }),
	}
	if w.svc.demo != nil {
		w.demoInbox = newDemoInboxView(w)
		items = append(items, container.NewTabItemWithIcon(lang.L("Demo inbox"), theme.MailAttachmentIcon(), w.demoInbox.content))
	}
	w.tabs = container.NewAppTabs(items...)
	w.tabs.SetTabLocation(container.TabLocationLeading)
	w.tabs.OnSelected = func(*container.TabItem) { w.refreshVisible() }
	w.body.Objects = []fyne.CanvasObject{w.tabs}
	w.body.Refresh()
	if w.opts.mailto != "" {
		w.openMailto(w.opts.mailto)
		w.opts.mailto = ""
	}
	w.offerMailtoHandlerOnce()
}

// lazyTab is a tab whose content is built when it is first shown, so that
// start-up does not pay for a view nobody has opened yet.
func (w *mainWindow) lazyTab(title string, icon fyne.Resource, build func() fyne.CanvasObject) *container.TabItem {
	holder := container.NewStack()
	w.lazyViews = append(w.lazyViews, lazyView{holder, build})
	return container.NewTabItemWithIcon(title, icon, holder)
}

type lazyView struct {
	holder *fyne.Container
	build  func() fyne.CanvasObject
}

func (w *mainWindow) refreshVisible() {
	for _, v := range w.lazyViews {
		if w.tabs.Selected().Content == v.holder && len(v.holder.Objects) == 0 {
			v.holder.Add(v.build())
		}
	}
	switch w.tabs.Selected().Content {
	case w.outbox.content:
		w.outbox.reload()
	case w.sent.content:
		w.sent.reload()
	case w.accounts.content:
		w.accounts.reload()
	}
	if w.demoInbox != nil && w.tabs.Selected().Content == w.demoInbox.content {
		w.demoInbox.reload()
	}
}

// selectView brings one of the views to the front.
func (w *mainWindow) selectView(content fyne.CanvasObject) {
	if w.tabs == nil {
		return
	}
	for _, item := range w.tabs.Items {
		if item.Content == content {
			w.tabs.Select(item)
			return
		}
	}
}

// handleLaunch receives the arguments of a second launch.
func (w *mainWindow) handleLaunch(args []string) {
	opts, err := parseArgs(args, io.Discard)
	if err != nil || opts.background {
		return // a start at login while Postie runs already changes nothing
	}
	w.showWindow() // from the tray, too
	if opts.mailto != "" {
		if w.tabs == nil {
			w.opts.mailto = opts.mailto // opened once an account exists
			if w.welcome != nil {
				w.welcome.showWaitingLink(opts.mailto)
			}
			return
		}
		w.openMailto(opts.mailto)
	}
}

func (w *mainWindow) openMailto(link string) {
	w.selectView(w.compose.content)
	w.compose.openLink(link)
}

// installShortcuts binds the keyboard shortcuts for when no field has the
// focus (textEntry handles them when one has): Ctrl+N new message,
// Ctrl+Enter send, Ctrl+F search in Sent, Ctrl+Q quit, Esc closes a dialog.
func (w *mainWindow) installShortcuts() {
	c := w.win.Canvas()
	for _, key := range []fyne.KeyName{fyne.KeyN, fyne.KeyReturn, fyne.KeyEnter, fyne.KeyF, fyne.KeyQ} {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault},
			func(s fyne.Shortcut) { w.handleShortcut(s) })
	}
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			w.dismissTopDialog()
		}
	})
}

// show shows a dialog and remembers it, so that Esc can close the top one.
func (w *mainWindow) show(d dialog.Dialog) {
	w.dialogs = append(w.dialogs, d)
	d.SetOnClosed(func() { w.forgetDialog(d) })
	d.Show()
}

func (w *mainWindow) forgetDialog(d dialog.Dialog) {
	for i, open := range w.dialogs {
		if open == d {
			w.dialogs = append(w.dialogs[:i:i], w.dialogs[i+1:]...)
			return
		}
	}
}

// dismissTopDialog closes the newest dialog and reports whether there was
// one.
func (w *mainWindow) dismissTopDialog() bool {
	n := len(w.dialogs)
	if n > 0 {
		w.dialogs[n-1].Hide()
	}
	return n > 0
}

func (w *mainWindow) showError(err error) {
	w.show(dialog.NewError(errorString(errorMessage(err)), w.win))
}

func (w *mainWindow) showInfo(title, message string) {
	w.show(dialog.NewInformation(title, message, w.win))
}

func (w *mainWindow) dropped(_ fyne.Position, uris []fyne.URI) {
	if w.compose == nil {
		return
	}
	w.selectView(w.compose.content)
	for _, u := range uris {
		if u.Scheme() == "file" {
			w.compose.attachPath(u.Path())
		}
	}
}

// requestClose asks about an unsaved message, remembers the window size,
// then closes, or keeps sending in the background (see background.go).
func (w *mainWindow) requestClose() {
	if w.compose != nil && w.compose.dirty {
		w.compose.confirmDiscard(func() { w.closeNow() })
		return
	}
	w.closeNow()
}

func (w *mainWindow) closeNow() {
	size := w.win.Canvas().Size()
	prefs := w.app.Preferences()
	prefs.SetFloat(prefWidth, float64(size.Width))
	prefs.SetFloat(prefHeight, float64(size.Height))
	w.closeOrKeepSending()
}

// shutdown stops background work once the window has closed. A message
// still being written is saved first: quitting from the menu or logging
// out does not pass through requestClose.
func (w *mainWindow) shutdown() {
	if w.compose != nil && w.compose.dirty && w.svc != nil {
		w.compose.stopAutosave()
		if _, err := w.svc.saveDraft(w.ctx, w.compose.current()); err != nil {
			fyne.LogError("The message being written could not be saved as a draft", err)
		}
	}
	w.cancel()
	w.tasks.wait()
	if w.svc != nil {
		w.svc.close()
	}
}
