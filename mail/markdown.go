package mail

import (
	"bytes"
	"html"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown renders with GitHub's common extensions (tables, strikethrough,
// autolinks, task lists). goldmark's safe default leaves out raw HTML and
// javascript: links from the source, so what the user types cannot inject
// markup or scripts of its own.
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// htmlStyle is deliberately small: mail readers strip or rewrite most CSS,
// so the HTML relies on the reader's defaults and only asks for a readable
// font and line height.
const htmlStyle = `font-family: sans-serif; line-height: 1.4;`

// renderMarkdown turns the body into a complete HTML document titled with
// the subject.
func renderMarkdown(body, title string) (string, error) {
	var out bytes.Buffer
	out.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
	out.WriteString(html.EscapeString(title))
	out.WriteString("</title></head>\n<body style=\"" + htmlStyle + "\">\n")
	source := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(body)
	if err := markdown.Convert([]byte(source), &out); err != nil {
		return "", err
	}
	out.WriteString("</body></html>\n")
	return out.String(), nil
}
