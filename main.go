// Postie is a desktop application for sending email. Without arguments, or
// with a mailto: link, --demo or --background (hidden, as at login), it
// starts its window; otherwise it runs one command-line subcommand
// (`postie help` lists them). It only chooses between the two; it must never
// hold logic of its own.
package main

import (
	"os"

	"github.com/postie-app/postie/ui"
	"github.com/postie-app/postie/ui/cli"
)

func main() {
	args := os.Args[1:]
	if cli.WantsWindow(args) {
		os.Exit(ui.Run(args))
	}
	os.Exit(cli.Main(args))
}
