package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/store"
	"github.com/postie-app/postie/resources"
)

// The list layout test opens the real window under Xvfb once per language,
// with Outbox and Sent holding messages whose state words, recipients and
// subjects are long, and checks at the default size and at 800×600, with
// and without a message's details beside the list, that no two texts of a
// row are drawn over each other, that every text stays inside its row, and
// that the state word and the time are shown in full. It saves a
// screenshot of each case (kept in POSTIE_SCREENSHOTS when set).
//
// It also checks that Outbox and Sent themselves would fit a window of the
// size asked for, and then that the window really becomes 800×600, its
// smallest size, with every main view shown there without a text cut off
// or drawn beyond its widget (a screenshot of each).

// listLanguageEnv tells the child process which language it should be
// showing, so it can check that the locale took effect.
const listLanguageEnv = "POSTIE_UI_LIST_LANGUAGE"

// listLocales are the languages Postie is translated into, with a locale
// that selects each.
var listLocales = map[string]string{"en": "en_US.UTF-8", "de": "de_DE.UTF-8", "fr": "fr_FR.UTF-8", "es": "es_ES.UTF-8"}

// listWindowSizes are the window sizes the lists must work at.
var listWindowSizes = []struct {
	name string
	size fyne.Size
}{
	{"default", defaultWindowSize},
	{"800x600", fyne.NewSize(800, 600)},
}

// minReadableRunes is how many characters of the recipients and of the
// subject a row must show at least before its ellipsis.
const minReadableRunes = 8

func TestRealWindowMessageListsLayout(t *testing.T) {
	testpeer.RequireSession(t)
	shots := os.Getenv(screenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	t.Logf("screenshots in %s", shots)
	for language, locale := range listLocales {
		// One after the other: side by side, the windows' GL captures
		// under Xvfb come back blank now and then.
		t.Run(language, func(t *testing.T) {
			dir := shortTempDir(t)
			seedListMessages(t, dir)
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), smokeChildEnv+"=lists", smokeDirEnv+"="+dir, smokeShotsEnv+"="+shots,
				listLanguageEnv+"="+language, "LC_ALL="+locale, "LANG="+locale, "LANGUAGE=",
				// Its own preferences and cache, as a first run has.
				"XDG_CONFIG_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the list layout run in %s failed: %v\n%s", language, err, out)
			}
			for line := range strings.Lines(string(out)) {
				if strings.HasPrefix(line, language+": ") {
					t.Log(strings.TrimSpace(line))
				}
			}
			for _, name := range append(listShotNames(language), smallestShotNames(language)...) {
				checkScreenshot(t, filepath.Join(shots, name+".png"))
			}
		})
	}
}

// listShotNames are the screenshots the child saves for one language.
func listShotNames(language string) []string {
	var names []string
	for _, size := range listWindowSizes {
		for _, view := range []string{"outbox", "sent"} {
			for _, details := range []string{"list", "details"} {
				names = append(names, strings.Join([]string{"lists", language, size.name, view, details}, "-"))
			}
		}
	}
	return names
}

// seedListMessages queues, in a new data folder, messages to the demo
// server's refusing addresses and to long lists of people, dated two days
// ago so the Outbox shows the long form of the time. Once the window opens
// in demo mode, its sender fails one (bounce@), defers one (busy@) and
// sends the others.
func seedListMessages(t *testing.T, dir string) {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	accts, err := accounts.Open(db, &accounts.Secrets{})
	if err != nil {
		t.Fatal(err)
	}
	// Demo mode points this account at its server when the window opens.
	demoAccount := accounts.Account{Name: core.DemoAccountName, DisplayName: "Demo User", Email: "you@demo.postie.invalid",
		Host: "127.0.0.1", Port: 2525, Security: "starttls", Username: "demo"}
	if err := accts.Add(ctx, &demoAccount, ""); err != nil {
		t.Fatal(err)
	}
	twoDaysAgo := time.Now().AddDate(0, 0, -2)
	box, err := outbox.Open(db, accts, outbox.WithClock(func() time.Time { return twoDaysAgo }))
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	people := []mail.Address{
		{Name: "Maximiliane Oberstaatsanwältin-Schmidt", Email: "maximiliane.oberstaatsanwaeltin@example.org"},
		{Name: "Bartholomäus Überlingen-Wolkenstein", Email: "bartholomaeus@example.org"},
		{Name: "Anna Lind", Email: "anna@example.org"},
	}
	longSubject := "Protokoll der Jahreshauptversammlung des Kleingartenvereins und Einladung zur nächsten Sitzung im Vereinsheim"
	for _, msg := range []*mail.Message{
		{To: []mail.Address{{Name: people[0].Name, Email: "bounce@example.org"}}, Subject: longSubject},
		{To: []mail.Address{{Name: people[1].Name, Email: "busy@example.org"}}, Subject: "Réservation confirmée : votre séjour à l'hôtel"},
		{To: people, Subject: longSubject},
		{To: people[2:], Body: "A message without a subject."},
	} {
		msg.From = mail.Address{Name: demoAccount.DisplayName, Email: demoAccount.Email}
		if msg.Body == "" {
			msg.Body = "Hello."
		}
		if _, err := box.Enqueue(ctx, demoAccount.ID, msg, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
}

// seededOutcomes are the states the seeded messages end in.
var seededOutcomes = map[listKind][]outbox.State{
	outboxList: {outbox.StateFailed, outbox.StateRetrying},
	sentList:   {outbox.StateSent, outbox.StateSent},
}

// driveListLayout is the child process of the list layout test.
func driveListLayout(w *mainWindow, shots string) error {
	language := os.Getenv(listLanguageEnv)
	w.tasks.wait()
	events := make(chan outboxEvent, 100)
	var svc *services
	fyne.DoAndWait(func() {
		svc = w.svc
		w.eventApplied = events
	})
	if svc == nil || w.tabs == nil {
		return errors.New("demo mode did not reach the main views")
	}
	if err := checkLanguage(language); err != nil {
		return err
	}
	if err := waitForSeededOutcomes(svc, events); err != nil {
		return err
	}
	var problems []string
	for _, size := range listWindowSizes {
		windowSize, err := resizeWindow(w, size.size)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s: asked for a %.0f×%.0f window, got %.0f×%.0f\n", language, size.size.Width, size.size.Height, windowSize.Width, windowSize.Height)
		for _, view := range []struct {
			name string
			list *messageList
		}{{"outbox", w.outbox}, {"sent", w.sent}} {
			fyne.DoAndWait(func() { w.selectView(view.list.content) })
			w.tasks.wait()
			for _, details := range []string{"list", "details"} {
				fyne.DoAndWait(func() {
					if details == "details" {
						view.list.list.Select(widestDetailsRow(view.list))
					} else {
						view.list.details.clear()
					}
				})
				w.tasks.wait()
				name := strings.Join([]string{"lists", language, size.name, view.name, details}, "-")
				if err := screenshot(w, shots, name); err != nil {
					return err
				}
				fyne.DoAndWait(func() {
					problems = append(problems, checkListRows(w, view.list, name)...)
					if problem := listFits(w, view.list.content, size.size); problem != "" {
						problems = append(problems, name+": "+problem)
					}
				})
			}
		}
	}
	viewProblems, err := driveSmallestWindow(w, language, shots)
	if err != nil {
		return err
	}
	problems = append(problems, viewProblems...)
	if len(problems) > 0 {
		return fmt.Errorf("drawn badly:\n%s", strings.Join(problems, "\n"))
	}
	return nil
}

// smallestWindowSize is the smallest window every view must fit: a small
// laptop's screen, or half of a larger one.
var smallestWindowSize = fyne.NewSize(800, 600)

// smallestWindowViews are the main views, which must all be usable in a
// window of smallestWindowSize.
func smallestWindowViews(w *mainWindow) []struct {
	name    string
	content fyne.CanvasObject
} {
	return []struct {
		name    string
		content fyne.CanvasObject
	}{
		{"compose", w.compose.content}, {"outbox", w.outbox.content}, {"sent", w.sent.content},
		{"accounts", w.accounts.content}, {"settings", w.settings.content},
	}
}

// smallestShotNames are the screenshots the child saves of each main view
// in the smallest window.
func smallestShotNames(language string) []string {
	var names []string
	for _, view := range []string{"compose", "outbox", "sent", "accounts", "settings"} {
		names = append(names, strings.Join([]string{"smallest", language, view}, "-"))
	}
	return names
}

// driveSmallestWindow asks for a window of smallestWindowSize, which it
// must get: no view may need more. It then shows each main view, saves a
// screenshot and describes every text drawn beyond the widget that shows
// it, which is text cut off (mid-word, without an ellipsis) or drawn over
// its neighbours.
func driveSmallestWindow(w *mainWindow, language, shots string) ([]string, error) {
	var problems []string
	got, err := resizeWindow(w, smallestWindowSize)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "%s: asked for a %.0f×%.0f window, got %.0f×%.0f\n", language,
		smallestWindowSize.Width, smallestWindowSize.Height, got.Width, got.Height)
	if abs(got.Width-smallestWindowSize.Width) > 1 || abs(got.Height-smallestWindowSize.Height) > 1 {
		fyne.DoAndWait(func() {
			problems = append(problems, fmt.Sprintf("%s: asked for a %.0f×%.0f window, it stays %.0f×%.0f; the views need %s",
				language, smallestWindowSize.Width, smallestWindowSize.Height, got.Width, got.Height, viewMinSizes(w)))
		})
	}
	for _, view := range smallestWindowViews(w) {
		fyne.DoAndWait(func() { w.selectView(view.content) })
		w.tasks.wait()
		name := strings.Join([]string{"smallest", language, view.name}, "-")
		if err := screenshot(w, shots, name); err != nil {
			return nil, err
		}
		fyne.DoAndWait(func() {
			for _, problem := range textsBeyondTheirWidgets(w) {
				problems = append(problems, name+": "+problem)
			}
		})
	}
	return problems, nil
}

// viewMinSizes lists the minimum size of the navigation and of each view,
// to show which one keeps the window large.
func viewMinSizes(w *mainWindow) string {
	var sizes []string
	for _, item := range w.tabs.Items {
		min := item.Content.MinSize()
		sizes = append(sizes, fmt.Sprintf("%s %.0f×%.0f", item.Text, min.Width, min.Height))
	}
	all := w.win.Content().MinSize()
	return fmt.Sprintf("%.0f×%.0f in all (%s)", all.Width, all.Height, strings.Join(sizes, ", "))
}

// textsBeyondTheirWidgets describes every text on the window's canvas whose
// glyphs reach beyond the widget that draws it, or beyond the window's
// sides. Texts inside entries are left out: what the user types scrolls
// within them.
func textsBeyondTheirWidgets(w *mainWindow) []string {
	var problems []string
	window := boxAt(fyne.Position{}, w.win.Canvas().Size())
	var walk func(obj fyne.CanvasObject, parent fyne.Position, owner box)
	walk = func(obj fyne.CanvasObject, parent fyne.Position, owner box) {
		if !obj.Visible() {
			return
		}
		pos := parent.Add(obj.Position())
		var children []fyne.CanvasObject
		switch o := obj.(type) {
		case *widget.Entry, *widget.SelectEntry, *addressEntry, *textEntry, *bodyEntry:
			return
		case *canvas.Text:
			if o.Text == "" {
				return
			}
			width := fyne.MeasureText(o.Text, o.TextSize, o.TextStyle).Width
			switch o.Alignment {
			case fyne.TextAlignTrailing:
				pos.X += o.Size().Width - width
			case fyne.TextAlignCenter:
				pos.X += (o.Size().Width - width) / 2
			}
			glyphs := boxAt(pos, fyne.NewSize(width, o.Size().Height))
			// Beyond the window's bottom is fine: that is a vertical
			// scroll's content further down.
			if !glyphs.inside(owner) || glyphs.x0 < window.x0-tolerance || glyphs.x1 > window.x1+tolerance {
				problems = append(problems, fmt.Sprintf("%q %v is drawn beyond its widget %v or the window's width %.0f", o.Text, glyphs, owner, window.x1))
			}
			return
		case *fyne.Container:
			children = o.Objects
		case fyne.Widget:
			owner = boxAt(pos, o.Size())
			children = test.WidgetRenderer(o).Objects()
		}
		for _, child := range children {
			walk(child, pos, owner)
		}
	}
	root := w.win.Canvas().Content()
	walk(root, fyne.Position{}, window)
	return problems
}

// checkLanguage makes sure the window speaks the language the test asked
// for, so a locale that failed to take effect cannot pass as English.
func checkLanguage(language string) error {
	data, err := resources.Translations.ReadFile(resources.TranslationsDir + "/postie." + language + ".json")
	if err != nil {
		return err
	}
	var words map[string]any // a counted sentence is an object of plural forms
	if err := json.Unmarshal(data, &words); err != nil {
		return err
	}
	if got := lang.L("Failed"); got != words["Failed"] {
		return fmt.Errorf("the window is not in %s: it says %q for Failed, not %q", language, got, words["Failed"])
	}
	return nil
}

// waitForSeededOutcomes waits until the sender has tried every seeded
// message.
func waitForSeededOutcomes(svc *services, events <-chan outboxEvent) error {
	timeout := time.After(time.Minute)
	for {
		done := true
		for kind, want := range seededOutcomes {
			rows, err := svc.listMessages(context.Background(), kind, "", 0, pageSize)
			if err != nil {
				return err
			}
			var states []outbox.State
			for _, row := range rows {
				states = append(states, row.State)
			}
			slices.Sort(states)
			done = done && slices.Equal(states, slices.Sorted(slices.Values(want)))
		}
		if done {
			return nil
		}
		select {
		case <-events:
		case <-timeout:
			return errors.New("the seeded messages were not all tried within a minute")
		}
	}
}

// resizeWindow asks for a window size and waits until the X server has
// given it, or the window's minimum size where that is larger: the other
// views can need more room than the lists. It returns the size the window
// took.
func resizeWindow(w *mainWindow, size fyne.Size) (fyne.Size, error) {
	var want fyne.Size
	fyne.DoAndWait(func() {
		w.win.Resize(size)
		want = size.Max(w.win.Content().MinSize().AddWidthHeight(2*theme.Padding(), 2*theme.Padding()))
	})
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var got fyne.Size
	for range tick.C {
		fyne.DoAndWait(func() { got = w.win.Canvas().Size() })
		if abs(got.Width-want.Width) <= 1 && abs(got.Height-want.Height) <= 1 {
			return got, nil
		}
		if time.Now().After(deadline) {
			break
		}
	}
	return got, fmt.Errorf("the window was resized to %v, which should make it %v, but it stays %v", size, want, got)
}

func abs(f float32) float32 { return max(f, -f) }

// listFits reports when the list view needs a larger window than size:
// the window could shrink by the room the view has beyond its minimum
// before the view would stop it.
func listFits(w *mainWindow, view fyne.CanvasObject, size fyne.Size) string {
	window := w.win.Canvas().Size()
	needs := window.Subtract(view.Size().Subtract(view.MinSize()))
	if needs.Width > size.Width+tolerance || needs.Height > size.Height+tolerance {
		return fmt.Sprintf("the view needs a window of %.0f×%.0f, more than %.0f×%.0f", needs.Width, needs.Height, size.Width, size.Height)
	}
	return ""
}

// widestDetailsRow is the row whose details are widest: the failed
// message, which offers the most actions, or the first row.
func widestDetailsRow(m *messageList) widget.ListItemID {
	for i := range m.total {
		if row, ok := m.row(i); ok && row.State == "failed" {
			return i
		}
	}
	return 0
}

// box is a rectangle on the window's canvas.
type box struct{ x0, y0, x1, y1 float32 }

func boxAt(pos fyne.Position, size fyne.Size) box {
	return box{pos.X, pos.Y, pos.X + size.Width, pos.Y + size.Height}
}

func (b box) String() string { return fmt.Sprintf("(%.0f,%.0f)–(%.0f,%.0f)", b.x0, b.y0, b.x1, b.y1) }

// tolerance absorbs rounding in the layouts' float arithmetic.
const tolerance = 0.5

func (b box) overlaps(o box) bool {
	return min(b.x1, o.x1)-max(b.x0, o.x0) > tolerance && min(b.y1, o.y1)-max(b.y0, o.y0) > tolerance
}

func (b box) inside(o box) bool {
	return b.x0 >= o.x0-tolerance && b.y0 >= o.y0-tolerance && b.x1 <= o.x1+tolerance && b.y1 <= o.y1+tolerance
}

// walkCanvas calls visit with every visible object under obj and its
// position on the canvas, going into containers and widgets' renderers.
func walkCanvas(obj fyne.CanvasObject, parent fyne.Position, visit func(fyne.CanvasObject, fyne.Position)) {
	if !obj.Visible() {
		return
	}
	pos := parent.Add(obj.Position())
	visit(obj, pos)
	var children []fyne.CanvasObject
	switch o := obj.(type) {
	case *fyne.Container:
		children = o.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(o).Objects()
	}
	for _, child := range children {
		walkCanvas(child, pos, visit)
	}
}

// drawnText is what a label really draws: its text and where the glyphs
// are, measured from the text itself, so a text wider than the space it was
// given shows as reaching beyond it.
type drawnText struct {
	text string
	at   box
}

func textOf(label *widget.Label, pos fyne.Position) drawnText {
	var d drawnText
	first := true
	walkCanvas(label, pos.Subtract(label.Position()), func(obj fyne.CanvasObject, at fyne.Position) {
		t, ok := obj.(*canvas.Text)
		if !ok || t.Text == "" {
			return
		}
		width := fyne.MeasureText(t.Text, t.TextSize, t.TextStyle).Width
		switch t.Alignment {
		case fyne.TextAlignTrailing:
			at.X += t.Size().Width - width
		case fyne.TextAlignCenter:
			at.X += (t.Size().Width - width) / 2
		}
		glyphs := boxAt(at, fyne.NewSize(width, t.Size().Height))
		d.text += t.Text
		if first {
			d.at, first = glyphs, false
			return
		}
		d.at = box{min(d.at.x0, glyphs.x0), min(d.at.y0, glyphs.y0), max(d.at.x1, glyphs.x1), max(d.at.y1, glyphs.y1)}
	})
	return d
}

// checkListRows describes every way the rows on screen are drawn badly.
func checkListRows(w *mainWindow, m *messageList, shot string) []string {
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, shot+": "+fmt.Sprintf(format, args...))
	}
	type placed struct {
		row *messageRow
		pos fyne.Position
	}
	var rows []placed
	root := w.win.Canvas().Content()
	walkCanvas(root, fyne.Position{}, func(obj fyne.CanvasObject, pos fyne.Position) {
		if r, ok := obj.(*messageRow); ok {
			rows = append(rows, placed{r, pos})
		}
	})
	if len(rows) != m.total {
		report("%d rows on screen for %d messages", len(rows), m.total)
	}
	for _, p := range rows {
		r := p.row
		rowBox := boxAt(p.pos, r.Size())
		positions := map[fyne.CanvasObject]fyne.Position{}
		walkCanvas(r, p.pos.Subtract(r.Position()), func(obj fyne.CanvasObject, pos fyne.Position) { positions[obj] = pos })
		// No seeded message can end uncertain, whose word is the widest in
		// English: check that the state column has room for the widest.
		if widest, room := widestStateWord(m.kind), r.state.Size().Width; widget.NewLabel(widest).MinSize().Width > room+tolerance {
			report("row %q: the state column (%.0f) has no room for %q", r.recipients.Text, room, widest)
		}
		parts := []struct {
			name string
			at   box
		}{{"icon", boxAt(positions[r.icon], r.icon.Size())}}
		for _, l := range []struct {
			name  string
			label *widget.Label
			whole bool // shown in full, never shortened
		}{{"state", r.state, true}, {"recipients", r.recipients, false}, {"subject", r.subject, false}, {"time", r.when, true}} {
			drawn := textOf(l.label, positions[l.label])
			shown := strings.TrimSuffix(drawn.text, "…")
			switch {
			case l.whole && drawn.text != l.label.Text:
				report("%s %q is drawn as %q", l.name, l.label.Text, drawn.text)
			case !l.whole && shown != l.label.Text && len([]rune(shown)) < minReadableRunes:
				report("%s %q is cut to %q", l.name, l.label.Text, drawn.text)
			}
			if drawn.text == "" {
				continue
			}
			parts = append(parts, struct {
				name string
				at   box
			}{l.name, drawn.at})
		}
		for i, a := range parts {
			if !a.at.inside(rowBox) {
				report("row %q: %s %v leaves the row %v", r.recipients.Text, a.name, a.at, rowBox)
			}
			for _, b := range parts[i+1:] {
				if a.at.overlaps(b.at) {
					report("row %q: %s %v and %s %v overlap", r.recipients.Text, a.name, a.at, b.name, b.at)
				}
			}
		}
	}
	return problems
}

// widestStateWord is the word, among the states a list shows, that takes
// most room in this language.
func widestStateWord(kind listKind) string {
	var widest string
	var width float32
	for _, state := range statesOf(kind) {
		_, word := stateLook(state)
		if w := widget.NewLabel(word).MinSize().Width; w > width {
			widest, width = word, w
		}
	}
	return widest
}
