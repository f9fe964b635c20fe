package app_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
)

const capSchema = "../../shared/data/standards/cap12/CAP-v1.2.xsd"

// TestCAPFeedPublishesDistrictWarnings puts a gas detector in 黄浦区 into
// red: the district's red gas-leak alert appears in the Atom index, and
// its CAP document validates against the OASIS schema with the district's
// polygon and code.
func TestCAPFeedPublishesDistrictWarnings(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint is needed to validate CAP documents: install libxml2-utils (scripts/test.sh does)")
	}
	h := startApp(t)
	admin, viewer := h.tokens[model.RoleAdmin], h.tokens[model.RoleViewer]
	geo, err := os.ReadFile(shanghaiGCJ)
	if err != nil {
		t.Fatal(err)
	}
	h.postRaw(admin, "/api/v1/units/import?level=district&crs=gcj02&create_parents=true", geo, 200, nil)
	var ds struct{ ID int64 }
	h.do(admin, "POST", "/api/v1/datastreams", `{"key":"hp/lel","property":"gas_lel","location":{"lon":121.4737,"lat":31.2304}}`, 201, &ds)
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	h.do(h.device, "POST", "/api/v1/observations", fmt.Sprintf(`{"datastream":%d,"time":%d,"value":80}`, ds.ID, start.UnixMilli()), 200, nil)
	h.app.Engine.Flush()

	var feed string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		feed = string(h.do(viewer, "GET", "/api/v1/cap/feed.atom", "", 200, nil))
		if strings.Contains(feed, "黄浦") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no warning for 黄浦区 in the feed:\n%s", feed)
		}
	}
	links := regexp.MustCompile(`href="http://[^/]+(/api/v1/cap/alerts/[^"]+)"`).FindAllStringSubmatch(feed, -1)
	if len(links) == 0 {
		t.Fatalf("feed has no CAP document links:\n%s", feed)
	}
	dir := t.TempDir()
	for i, l := range links {
		doc := h.do(viewer, "GET", l[1], "", 200, nil)
		path := filepath.Join(dir, fmt.Sprintf("%d.xml", i))
		if err := os.WriteFile(path, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("xmllint", "--noout", "--schema", capSchema, path).CombinedOutput(); err != nil {
			t.Fatalf("CAP document %s does not validate: %v\n%s\n%s", l[1], err, out, doc)
		}
		if s := string(doc); strings.Contains(s, "<areaDesc>黄浦区") && !strings.Contains(s, "310101") {
			t.Errorf("the 黄浦区 warning lacks its admin code:\n%s", s)
		}
	}
}
