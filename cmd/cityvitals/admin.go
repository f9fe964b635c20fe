package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"cityvitals/account"
	"cityvitals/app"
	"cityvitals/audit"
	"cityvitals/model"
)

// cliActor is who the audit log names for changes made from the shell.
func cliActor() string {
	name := os.Getenv("USER")
	if name == "" {
		name = "unknown"
	}
	return "cli:" + name
}

// UserCmd manages users.
type UserCmd struct {
	Add  UserAddCmd  `cmd:"" help:"Create a user; the password is read from stdin or the terminal, or generated."`
	List UserListCmd `cmd:"" help:"List users."`
}

// UserAddCmd creates a user.
type UserAddCmd struct {
	DataDirFlag
	Name          string `arg:"" help:"Login name."`
	Role          string `help:"Role: admin, operator, dispatcher, field or viewer." default:"viewer" enum:"admin,operator,dispatcher,field,viewer"`
	Dept          string `help:"Department code."`
	Scope         string `help:"Unit code limiting what the user sees; empty is the whole city."`
	PasswordStdin bool   `help:"Read the password from the first line of stdin."`
	Generate      bool   `help:"Generate a strong password and print it once."`
}

// Run creates the user.
func (c *UserAddCmd) Run(ctx context.Context, g *Globals) error {
	pw, err := c.password()
	if err != nil {
		return err
	}
	core, err := app.OpenCore(ctx, c.DataDir)
	if err != nil {
		return err
	}
	defer core.Close()
	u, err := core.Accounts.CreateUser(ctx, cliActor(), account.NewUser{
		Name: c.Name, Password: pw, Role: model.Role(c.Role), Dept: c.Dept, Scope: c.Scope,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(g.Out, "created user %s (id %d, role %s)\n", u.Name, u.ID, u.Role)
	if c.Generate {
		fmt.Fprintf(g.Out, "password: %s\n", pw)
	}
	return nil
}

func (c *UserAddCmd) password() (string, error) {
	switch {
	case c.Generate:
		b := make([]byte, 18)
		rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b), nil
	case c.PasswordStdin || !term.IsTerminal(int(os.Stdin.Fd())):
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	default:
		fmt.Fprint(os.Stderr, "password: ")
		pw, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		return string(pw), err
	}
}

// UserListCmd lists users.
type UserListCmd struct {
	DataDirFlag
}

// Run prints one user per line.
func (c *UserListCmd) Run(ctx context.Context, g *Globals) error {
	core, err := app.OpenCore(ctx, c.DataDir)
	if err != nil {
		return err
	}
	defer core.Close()
	users, err := core.DB.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		fmt.Fprintf(g.Out, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Name, u.Role, u.Dept, u.Scope)
	}
	return nil
}

// TokenCmd issues tokens.
type TokenCmd struct {
	Add TokenAddCmd `cmd:"" help:"Issue a device token (or an API token for a user); the secret is printed once."`
}

// TokenAddCmd issues a token.
type TokenAddCmd struct {
	DataDirFlag
	Device    string        `help:"Device id the token belongs to." xor:"owner" required:""`
	User      string        `help:"User name for an API token." xor:"owner" required:""`
	Provision bool          `help:"Let the device create datastreams it names but that do not exist."`
	Name      string        `help:"A note on what the token is for."`
	TTL       time.Duration `help:"Lifetime; 0 never expires."`
}

// Run issues the token and prints its secret.
func (c *TokenAddCmd) Run(ctx context.Context, g *Globals) error {
	core, err := app.OpenCore(ctx, c.DataDir)
	if err != nil {
		return err
	}
	defer core.Close()
	nt := account.NewToken{Kind: model.TokenDevice, Device: c.Device, Provision: c.Provision, Name: c.Name, TTL: c.TTL}
	if c.User != "" {
		u, err := core.DB.UserByName(ctx, c.User)
		if err != nil {
			return err
		}
		nt = account.NewToken{Kind: model.TokenAPI, UserID: u.ID, Name: c.Name, TTL: c.TTL}
	}
	secret, t, err := core.Accounts.IssueToken(ctx, cliActor(), nt)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.Out, "token %d (%s): %s\n", t.ID, t.Kind, secret)
	return nil
}

// AuditCmd inspects the audit log.
type AuditCmd struct {
	Verify AuditVerifyCmd `cmd:"" help:"Check the hash chain; exits non-zero if any record was edited, deleted or reordered."`
}

// AuditVerifyCmd verifies the chain.
type AuditVerifyCmd struct {
	DataDirFlag
	JSON bool `help:"Print the report as JSON."`
}

// Run verifies and reports.
func (c *AuditVerifyCmd) Run(ctx context.Context, g *Globals) error {
	core, err := app.OpenCore(ctx, c.DataDir)
	if err != nil {
		return err
	}
	defer core.Close()
	report, err := audit.Verify(ctx, core.DB)
	if err != nil {
		return err
	}
	switch {
	case c.JSON:
		_ = json.NewEncoder(g.Out).Encode(report)
	case report.OK():
		fmt.Fprintf(g.Out, "audit log intact: %d records, last seq %d, head %x\n", report.Records, report.LastSeq, report.Head)
		fmt.Fprintln(g.Out, "keep the head hash outside this machine: it is what proves that no newest records were dropped")
	default:
		fmt.Fprintf(g.Out, "audit log BROKEN at seq %d: %s (%s); %d of %d records affected\n",
			report.First.Seq, report.First.Reason, report.First.Detail, report.Broken, report.Records)
	}
	if !report.OK() {
		return fmt.Errorf("audit log is not intact")
	}
	return nil
}
