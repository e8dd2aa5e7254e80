package desktop

import (
	"errors"
	"net/url"
	"os/exec"
	"runtime"
)

// OpenBrowser asks the operating system to open the web address in the
// user's browser: xdg-open on Linux and the BSDs, open on macOS, the URL
// protocol handler on Windows. It does not wait for the browser. An error
// only says that no browser could be asked; the caller has shown the
// address, which the user can open by hand.
func OpenBrowser(address string) error {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("not a web address")
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", address)
	case "darwin":
		cmd = exec.Command("open", address)
	default:
		cmd = exec.Command("xdg-open", address)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reaps the opener, which exits once it handed over
	return nil
}
