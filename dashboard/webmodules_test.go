package dashboard_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestWebModules runs the dashboard's own unit tests (web/test/*.test.mjs,
// Node's built-in runner, no packages needed): map geometry preparation,
// the actions the incident page offers per state, the mapping of live
// level changes to the cells on screen, and the SSE parser.
func TestWebModules(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is missing: install Node.js (scripts/test.sh needs it for the dashboard tests): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/")
	cmd.Dir = filepath.Join("..", "web")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test web/test failed (%v):\n%s", err, out)
	}
	t.Logf("%s", out)
}
