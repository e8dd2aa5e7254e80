package ui

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail/smtpclient"
)

// realCore is the application core behind a window opened on a data
// folder, for tests that reach past the views.
func realCore(w *mainWindow) *core.Core { return w.svc.core.(*core.Core) }

// windowOnFake builds the main window's frame around b without opening a
// data folder, so that one view can be tested on its own: no database, no
// keyring, no mail server, no display.
func windowOnFake(t *testing.T, b backend) *mainWindow {
	t.Helper()
	a := test.NewTempApp(t)
	q := make(uiQueue, 1000)
	w := &mainWindow{app: a, win: a.NewWindow("Postie"), do: q.dispatch, svc: &services{core: b}}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	queues[w] = q
	t.Cleanup(func() {
		w.cancel()
		w.tasks.wait()
		delete(queues, w)
	})
	return w
}

// fakeAccounts is a core with accounts and nothing else: a view that calls
// any other use case panics on the nil backend, which fails the test.
type fakeAccounts struct {
	backend

	mu       sync.Mutex
	list     []accounts.Account
	tested   []string // names of the accounts tested, in order
	testFail error    // what TestAccount answers
}

func (f *fakeAccounts) ListAccounts(context.Context) ([]accounts.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.list), nil
}

func (f *fakeAccounts) SetDefaultAccount(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.list {
		f.list[i].Default = f.list[i].Name == name
	}
	slices.SortStableFunc(f.list, func(a, b accounts.Account) int {
		switch {
		case a.Default == b.Default:
			return 0
		case a.Default:
			return -1
		}
		return 1
	})
	return nil
}

func (f *fakeAccounts) TestAccount(_ context.Context, a *accounts.Account, _ string) (*smtpclient.ProbeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tested = append(f.tested, a.Name)
	if f.testFail != nil {
		return nil, f.testFail
	}
	return &smtpclient.ProbeResult{}, nil
}

// accountCard is one account's card in the accounts view: its title, its
// status line and its buttons by label.
type accountCard struct {
	title   string
	status  *widget.Label
	buttons map[string]*widget.Button
}

// cardParts are an account card's wrapping title, its servers, its
// status and its buttons.
func cardParts(o fyne.CanvasObject) []fyne.CanvasObject {
	return o.(*widget.Card).Content.(*fyne.Container).Objects
}

func accountCards(t *testing.T, v *accountsView) []accountCard {
	t.Helper()
	var cards []accountCard
	for _, o := range v.list.Objects {
		parts := cardParts(o)
		c := accountCard{title: parts[0].(*widget.Label).Text, status: parts[2].(*widget.Label), buttons: map[string]*widget.Button{}}
		for _, b := range parts[3].(*fyne.Container).Objects {
			c.buttons[b.(*widget.Button).Text] = b.(*widget.Button)
		}
		cards = append(cards, c)
	}
	return cards
}

func TestAccountsViewAgainstAFakeCore(t *testing.T) {
	fake := &fakeAccounts{list: []accounts.Account{
		{Name: "work", DisplayName: "Ada", Email: "ada@work.example", Host: "smtp.work.example", Port: 465, Security: smtpclient.SecurityTLS, Default: true},
		{Name: "home", Email: "ada@home.example", Host: "smtp.home.example", Port: 587, Security: smtpclient.SecurityStartTLS},
	}}
	w := windowOnFake(t, fake)
	v := newAccountsView(w)
	w.settle()

	cards := accountCards(t, v)
	if len(cards) != 2 || cards[0].title != "Ada <ada@work.example> – default" || cards[1].title != "ada@home.example" {
		t.Fatalf("the cards are %+v, want the default account first and marked", cards)
	}
	if _, ok := cards[0].buttons["Make default"]; ok {
		t.Error("the default account offers to become the default")
	}

	test.Tap(cards[1].buttons["Make default"])
	w.settle()
	if cards = accountCards(t, v); cards[0].title != "ada@home.example – default" {
		t.Fatalf("after making home the default, the first card is %q", cards[0].title)
	}

	fake.testFail = errors.New("the server refused the password")
	test.Tap(cards[1].buttons["Test"])
	w.settle()
	if got := cards[1].status; got.Text != "the server refused the password" || got.Importance != widget.DangerImportance {
		t.Errorf("after a failed test the status says %q (importance %v)", got.Text, got.Importance)
	}
	if !slices.Equal(fake.tested, []string{"work"}) {
		t.Errorf("tested %v, want [work]", fake.tested)
	}
}
