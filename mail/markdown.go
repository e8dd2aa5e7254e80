package mail

import (
	"bytes"
	"html"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown renders with GitHub's common extensions (tables, strikethrough,
// autolinks). goldmark's default drops raw HTML from the source, so what
// the user types cannot inject markup of its own.
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// htmlStyle is deliberately small: mail readers strip or rewrite most CSS,
// so the HTML relies on the reader's defaults and only sets a readable
// font and quote style inline.
const htmlStyle = `font-family: sans-serif; line-height: 1.4;`

// renderMarkdown turns the body into a complete HTML document.
func renderMarkdown(body, title string) (string, error) {
	var out bytes.Buffer
	out.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
	out.WriteString(html.EscapeString(title))
	out.WriteString("</title></head>\n<body style=\"" + htmlStyle + "\">\n")
	if err := markdown.Convert([]byte(normalizeNewlines(body)), &out); err != nil {
		return "", err
	}
	out.WriteString("</body></html>\n")
	return normalizeNewlines(out.String()), nil
}
