package ui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/postie-app/postie/resources"
)

// usedKeys finds every literal key given to lang.L, lang.N, lang.X and
// lang.XN in the ui package's source.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "lang" {
				return true
			}
			switch sel.Sel.Name {
			case "L", "N", "X", "XN", "Localize", "LocalizePlural", "LocalizeKey", "LocalizePluralKey":
			default:
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: lang.%s needs a literal key so translations can be checked", fset.Position(call.Pos()), sel.Sel.Name)
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			keys[key] = fset.Position(call.Pos()).String()
			return true
		})
	}
	return keys
}

func translationFiles(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	err := fs.WalkDir(resources.Translations, resources.TranslationsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := resources.Translations.ReadFile(path)
		if err != nil {
			return err
		}
		var messages map[string]any
		if err := json.Unmarshal(data, &messages); err != nil {
			t.Errorf("%s is not valid JSON: %v", path, err)
			return nil
		}
		out[filepath.Base(path)] = messages
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEveryShippedLanguageTranslatesEveryKey(t *testing.T) {
	used := usedKeys(t)
	if len(used) == 0 {
		t.Fatal("found no lang.L calls in the ui package; the extraction is broken")
	}
	files := translationFiles(t)
	for _, want := range []string{"postie.en.json", "postie.de.json", "postie.fr.json", "postie.es.json"} {
		messages, ok := files[want]
		if !ok {
			t.Errorf("missing translation file %s", want)
			continue
		}
		var missing, unused []string
		for key := range used {
			if v, ok := messages[key]; !ok || v == "" {
				missing = append(missing, key)
			}
		}
		for key := range messages {
			if _, ok := used[key]; !ok {
				unused = append(unused, key)
			}
		}
		sort.Strings(missing)
		sort.Strings(unused)
		for _, key := range missing {
			t.Errorf("%s misses %q (used at %s)", want, key, used[key])
		}
		for _, key := range unused {
			t.Errorf("%s has %q, which the interface no longer uses", want, key)
		}
	}
}
