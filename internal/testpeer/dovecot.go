package testpeer

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Dovecot is a running Dovecot IMAP server (Debian's dovecot-imapd): the
// real peer that Postie files copies of sent messages with. Each test
// starts its own private instance, with its configuration, mail and
// sockets under a temporary directory, on free loopback ports.
type Dovecot struct {
	Host         string // 127.0.0.1
	TLSPort      int    // implicit TLS (imaps, RFC 8314)
	StartTLSPort int    // plain IMAP that offers STARTTLS (RFC 9051 §6.2.1)
	User         string
	Password     string
	// SentFolder is the folder marked \Sent (RFC 6154), under a German
	// name so that a client that looks for "Sent" by name does not find it.
	SentFolder string
	CA         *CA
	Cert       string // the server certificate's SHA-256, as Postie pins it
	Dir        string // the instance's directory, holding the mail

	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has ended
	output *dovecotOutput
}

// StartDovecot runs a private Dovecot until the test ends, serving the user name with
// password, and waits until both ports answer. Its certificate is issued by
// ca for localhost and 127.0.0.1. Under -short the test is skipped (see
// RequireProgram).
//
// Dovecot normally runs as root and drops to its own users; here it runs as
// whoever runs the tests, and the mail belongs to that user, or to nobody
// when that is root.
func StartDovecot(t testing.TB, ca *CA, name, password string) *Dovecot {
	t.Helper()
	RequireProgram(t, "dovecot")
	d, err := RunDovecot(ca, name, password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("dovecot output:\n%s", d.output.String())
		}
		os.RemoveAll(d.Dir)
	})
	return d
}

// RunDovecot is StartDovecot for a program that is not a test, such as the
// benchmark's helper mail/outbox/bench/dovecotserver: it runs until Stop,
// and its directory (Dir) is the caller's to remove. An error that comes
// from Dovecot itself holds its output.
func RunDovecot(ca *CA, name, password string) (*Dovecot, error) {
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "postie-dovecot-")
	if err != nil {
		return nil, err
	}
	d, err := runDovecotIn(bin, dir, ca, name, password)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return d, nil
}

func runDovecotIn(bin, dir string, ca *CA, name, password string) (*Dovecot, error) {
	tlsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	startTLSPort, err := freePort()
	if err != nil {
		return nil, err
	}
	d := &Dovecot{
		Host: "127.0.0.1", TLSPort: tlsPort, StartTLSPort: startTLSPort,
		User: name, Password: password, SentFolder: "Gesendet", CA: ca, Dir: dir,
	}
	cert, err := ca.Make(Loopback)
	if err != nil {
		return nil, err
	}
	d.Cert = Fingerprint(cert)
	certFile, keyFile, err := writeCertFilesIn(dir, cert)
	if err != nil {
		return nil, err
	}
	passwd := filepath.Join(dir, "passwd")
	if err := os.WriteFile(passwd, []byte(name+":{PLAIN}"+password+"\n"), 0o600); err != nil {
		return nil, err
	}
	for _, sub := range []string{"run", "state", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	uid, gid := os.Getuid(), os.Getgid()
	mailUID, mailGID := uid, gid
	if uid == 0 {
		// Dovecot refuses mail access as root, so as root (the CI
		// containers) the mail belongs to nobody.
		nobody, err := user.Lookup("nobody")
		if err != nil {
			return nil, fmt.Errorf("running as root, dovecot needs the user nobody: %w", err)
		}
		mailUID, _ = strconv.Atoi(nobody.Uid)
		mailGID, _ = strconv.Atoi(nobody.Gid)
		if err := os.Chown(filepath.Join(dir, "mail"), mailUID, mailGID); err != nil {
			return nil, err
		}
		if err := os.Chmod(dir, 0o711); err != nil {
			return nil, err
		}
	}
	conf := filepath.Join(dir, "dovecot.conf")
	config := fmt.Sprintf(dovecotConfig, dir, filepath.Base(dir), mailUID, mailUID, mailGID,
		certFile, keyFile, passwd, d.StartTLSPort, d.TLSPort, d.SentFolder)
	// Dovecot's helper processes (auth, and login unless that would be
	// root, which Dovecot forbids) run as the same user, so that they can
	// read the private directory.
	if u, err := user.Current(); err == nil {
		config += fmt.Sprintf("default_internal_user = %s\n", u.Username)
		if uid != 0 {
			config += fmt.Sprintf("default_login_user = %s\n", u.Username)
		}
	}
	if err := os.WriteFile(conf, []byte(config), 0o600); err != nil {
		return nil, err
	}
	d.output = &dovecotOutput{dir: dir}
	d.cmd = exec.Command(bin, "-F", "-c", conf)
	d.cmd.Stdout, d.cmd.Stderr = &d.output.buf, &d.output.buf
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	d.exited = make(chan struct{})
	go func() { d.cmd.Wait(); close(d.exited) }()
	if err := d.waitReady(); err != nil {
		d.Stop()
		return nil, fmt.Errorf("%w\n%s", err, d.output.String())
	}
	return d, nil
}

// Stop ends Dovecot and waits until it has.
func (d *Dovecot) Stop() {
	d.cmd.Process.Kill()
	<-d.exited
}

// dovecotOutput is what Dovecot wrote on its standard output and error,
// and in its log.
type dovecotOutput struct {
	buf bytes.Buffer // written by the process's copying goroutine until it exits
	dir string
}

// String reads the output, once the process has exited.
func (o *dovecotOutput) String() string {
	log, _ := os.ReadFile(filepath.Join(o.dir, "dovecot.log"))
	return o.buf.String() + "\n" + string(log)
}

// freePort is FreePort for a program that is not a test.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// dovecotConfig is a whole configuration: nothing is read from /etc.
// RFC 6154 special use is declared in the namespace, and auto = subscribe
// creates the folders at the first sign-in.
const dovecotConfig = `
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = %[2]s
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
first_valid_uid = %[3]d
first_valid_gid = 0
mail_uid = %[4]d
mail_gid = %[5]d
ssl = required
ssl_cert = <%[6]s
ssl_key = <%[7]s
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN %[8]s
}
userdb {
  driver = static
  args = home=%[1]s/mail/%%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Gesendet {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Entwürfe {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Papierkorb {
    special_use = \Trash
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[9]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[10]d
    ssl = yes
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
`

// waitReady polls both ports until they answer with a greeting.
func (d *Dovecot) waitReady() error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-d.exited:
			return errors.New("dovecot exited during start-up")
		default:
		}
		c, err := net.Dial("tcp", net.JoinHostPort(d.Host, strconv.Itoa(d.StartTLSPort)))
		if err == nil {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			greeting := make([]byte, 4)
			_, err = c.Read(greeting)
			c.Close()
			if err == nil && string(greeting) == "* OK" {
				if c, err := net.Dial("tcp", net.JoinHostPort(d.Host, strconv.Itoa(d.TLSPort))); err == nil {
					c.Close()
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecot did not become ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling a server that has no way to say it is up
	}
}
