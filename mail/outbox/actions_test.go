package outbox

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// actionNames name the actions in test output.
var actionNames = map[Action]string{
	ActionSendNow: "send now", ActionRetry: "retry", ActionResend: "resend", ActionMarkSent: "mark sent",
	ActionUndo: "undo", ActionCancel: "cancel", ActionDiscard: "discard", ActionCopy: "copy", ActionExport: "export",
}

// TestEveryStateIsInEveryTable reads the package's source for every
// constant of type State, so that a state added without its place in
// States and the action table fails here. (State is a
// string, stored and printed as it is, so it cannot index an array whose
// length the compiler would check; a count constant would have to be kept
// up by hand just like the list.)
func TestEveryStateIsInEveryTable(t *testing.T) {
	declared := declaredStates(t)
	listed := append(States(), StateDiscarded)
	for _, s := range declared {
		if !slices.Contains(listed, s) {
			t.Errorf("state %q is declared but missing from States()", s)
		}
	}
	if len(listed) != len(declared) {
		t.Errorf("States() and StateDiscarded are %v; the source declares %v", listed, declared)
	}
	for _, s := range States() {
		if _, ok := allowed[s]; !ok {
			t.Errorf("state %q has no row in the action table", s)
		}
	}
	for _, a := range Actions() {
		if actionNames[a] == "" {
			t.Errorf("action %d has no name in this test", a)
		}
	}
	for _, group := range [][]State{PendingStates(), SentLogStates()} {
		for _, s := range group {
			if !slices.Contains(States(), s) {
				t.Errorf("group state %q is not in States()", s)
			}
		}
	}
}

// declaredStates returns the values of the constants of type State in the
// package's non-test source.
func declaredStates(t *testing.T) []State {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var states []State
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if typ, ok := vs.Type.(*ast.Ident); !ok || typ.Name != "State" {
					continue
				}
				for _, v := range vs.Values {
					lit := v.(*ast.BasicLit)
					states = append(states, State(strings.Trim(lit.Value, `"`)))
				}
			}
		}
	}
	if len(states) == 0 {
		t.Fatal("found no State constants in the source")
	}
	return states
}

// TestActionsPerState spells out, independently of the table, what the
// user may do in each state.
func TestActionsPerState(t *testing.T) {
	want := map[State][]Action{
		StateDraft:    {ActionDiscard},
		StateQueued:   {ActionSendNow, ActionUndo, ActionCancel, ActionDiscard, ActionCopy, ActionExport},
		StateSending:  nil, // its fate is open until the attempt ends
		StateSent:     {ActionCopy, ActionExport},
		StateFailed:   {ActionResend, ActionDiscard, ActionCopy, ActionExport},
		StateRetrying: {ActionRetry, ActionCancel, ActionDiscard, ActionCopy, ActionExport},
		StateUnknown:  {ActionResend, ActionMarkSent, ActionDiscard, ActionCopy, ActionExport},
		// Signing in resumes it; Retry tries once now, at no cost.
		StateWaitingForSignIn: {ActionRetry, ActionCancel, ActionDiscard, ActionCopy, ActionExport},
	}
	for _, s := range States() {
		w, ok := want[s]
		if !ok {
			t.Errorf("this test does not say what state %q allows", s)
		}
		for _, a := range Actions() {
			if got, exp := s.Allows(a), slices.Contains(w, a); got != exp {
				t.Errorf("%s allows %s: %v, want %v", s, actionNames[a], got, exp)
			}
		}
	}
	if StateDiscarded.Allows(ActionDiscard) || State("nonsense").Allows(ActionCopy) {
		t.Error("a state that is not in the table allows an action")
	}
}

// TestMethodsFollowTheActionTable puts a message in every state and checks
// that each deciding method succeeds exactly where the table allows it, and
// otherwise says why with a StateError.
func TestMethodsFollowTheActionTable(t *testing.T) {
	methods := []struct {
		name    string
		actions []Action // the actions the method performs
		run     func(o *Outbox, id int64) error
	}{
		{"Retry", []Action{ActionSendNow, ActionRetry}, func(o *Outbox, id int64) error { return o.Retry(context.Background(), id) }},
		{"Resend", []Action{ActionResend}, func(o *Outbox, id int64) error { return o.Resend(context.Background(), id) }},
		{"MarkSent", []Action{ActionMarkSent}, func(o *Outbox, id int64) error { return o.MarkSent(context.Background(), id) }},
		{"Undo", []Action{ActionUndo}, func(o *Outbox, id int64) error { _, err := o.Undo(context.Background(), id); return err }},
		{"Cancel", []Action{ActionCancel}, func(o *Outbox, id int64) error { return o.Cancel(context.Background(), id) }},
		{"Discard", []Action{ActionDiscard}, func(o *Outbox, id int64) error { return o.Discard(context.Background(), id) }},
	}
	o := openDir(t, t.TempDir(), &accountsMap{})
	for _, m := range methods {
		for _, s := range States() {
			t.Run(m.name+"/"+string(s), func(t *testing.T) {
				id := enqueueRaw(t, o, "acct", fmt.Sprintf("%s-%s@example.org", m.name, s), "Table", time.Time{})
				if _, err := o.db.Exec(`UPDATE outbox_messages SET state = ? WHERE id = ?`, s, id); err != nil {
					t.Fatal(err)
				}
				want := slices.ContainsFunc(m.actions, s.Allows)
				err := m.run(o, id)
				var se *StateError
				switch {
				case want && err != nil:
					t.Errorf("%s of a %s message: %v, want success", m.name, s, err)
				case !want && err == nil:
					t.Errorf("%s of a %s message succeeded; the table does not allow it", m.name, s)
				case !want && !errors.As(err, &se) && !errors.Is(err, ErrSentElsewhere):
					t.Errorf("%s of a %s message: %v, want a StateError", m.name, s, err)
				}
			})
		}
	}
}
