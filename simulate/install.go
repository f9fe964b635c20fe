package simulate

import (
	"context"
	"crypto/rand"
	"fmt"

	"cityvitals/account"
	"cityvitals/inventory"
	"cityvitals/model"
)

// Actor is the name the demo city's changes carry in the audit log.
const Actor = "demo"

// Platform is what Install writes the city into; app.Core has all three.
type Platform struct {
	Inventory Inventory
	Teams     TeamCreator
	Accounts  UserCreator
}

// Inventory is the part of inventory.Service Install uses.
type Inventory interface {
	ImportUnits(ctx context.Context, actor string, units []model.Unit) (inventory.ImportResult, error)
	PutAssets(ctx context.Context, actor string, assets []model.Asset) error
	CreateDatastreams(ctx context.Context, actor string, ds []model.Datastream) ([]model.Datastream, error)
}

// TeamCreator stores field teams (store.Teams has it).
type TeamCreator interface {
	CreateTeam(ctx context.Context, t model.Team) (model.Team, error)
}

// UserCreator creates users and device tokens (account.Service has both).
type UserCreator interface {
	CreateUser(ctx context.Context, actor string, nu account.NewUser) (model.User, error)
	IssueToken(ctx context.Context, actor string, nt account.NewToken) (string, model.Token, error)
}

// Installed says what Install put into the platform.
type Installed struct {
	Units, Assets, Streams, Teams int
	Users                         []Credential
	// DeviceToken is the gateway's ingest token (GatewayDevice), shown once.
	DeviceToken string
	// DrillToken is the demo operator's API token, for scripts that play
	// scenarios through the API; shown once.
	DrillToken string
}

// Credential is a demo user and the password generated for it, shown
// once.
type Credential struct {
	Name     string     `json:"name"`
	Role     model.Role `json:"role"`
	Dept     string     `json:"dept,omitempty"`
	Password string     `json:"password"`
}

// demoUsers is one user for every role, with the department where the
// role acts for one (field crews, dispatchers and supervisors act for a
// department; admins, viewers and citizens do not).
var demoUsers = []struct {
	role model.Role
	dept string
}{
	{model.RoleAdmin, ""},
	{model.RoleOperator, "city-operations"},
	{model.RoleDispatcher, "city-operations"},
	{model.RoleField, "gas"},
	{model.RoleViewer, ""},
	{model.RoleSupervisor, "city-operations"},
	{model.RoleInspector, "street-office"},
	{model.RoleCitizen, ""},
}

// Install writes the city into an empty platform: the unit tree in one
// import (so the spatial index is built once), the assets, the streams,
// the teams, a user for every role and the gateway's device token.
func Install(ctx context.Context, p Platform, c *City) (Installed, error) {
	var out Installed
	if _, err := p.Inventory.ImportUnits(ctx, Actor, c.Units); err != nil {
		return out, fmt.Errorf("demo city: import %d units: %w", len(c.Units), err)
	}
	out.Units = len(c.Units)
	if err := p.Inventory.PutAssets(ctx, Actor, c.Assets); err != nil {
		return out, fmt.Errorf("demo city: store %d assets: %w", len(c.Assets), err)
	}
	out.Assets = len(c.Assets)
	ds := make([]model.Datastream, len(c.Streams))
	for i, s := range c.Streams {
		ds[i] = s.Datastream
	}
	if _, err := p.Inventory.CreateDatastreams(ctx, Actor, ds); err != nil {
		return out, fmt.Errorf("demo city: register %d datastreams: %w", len(ds), err)
	}
	out.Streams = len(ds)
	for _, t := range c.Teams {
		if _, err := p.Teams.CreateTeam(ctx, t); err != nil {
			return out, fmt.Errorf("demo city: create team %q: %w", t.Name, err)
		}
	}
	out.Teams = len(c.Teams)
	var err error
	var operator model.User
	if out.Users, operator, err = createUsers(ctx, p.Accounts); err != nil {
		return out, err
	}
	out.DrillToken, _, err = p.Accounts.IssueToken(ctx, Actor, account.NewToken{Kind: model.TokenAPI, UserID: operator.ID, Name: "drills"})
	if err != nil {
		return out, fmt.Errorf("demo city: issue the operator's drill token: %w", err)
	}
	out.DeviceToken, _, err = p.Accounts.IssueToken(ctx, Actor, account.NewToken{Kind: model.TokenDevice, Device: GatewayDevice, Name: "demo city gateway"})
	if err != nil {
		return out, fmt.Errorf("demo city: issue the gateway's device token: %w", err)
	}
	return out, nil
}

// createUsers creates the demo users and returns their credentials and
// the operator.
func createUsers(ctx context.Context, accounts UserCreator) ([]Credential, model.User, error) {
	var creds []Credential
	var operator model.User
	for _, u := range demoUsers {
		c := Credential{Name: "demo-" + string(u.role), Role: u.role, Dept: u.dept, Password: rand.Text()}
		created, err := accounts.CreateUser(ctx, Actor, account.NewUser{Name: c.Name, Password: c.Password, Role: c.Role, Dept: c.Dept})
		if err != nil {
			return nil, operator, fmt.Errorf("demo city: create user %s: %w", c.Name, err)
		}
		if u.role == model.RoleOperator {
			operator = created
		}
		creds = append(creds, c)
	}
	return creds, operator, nil
}
