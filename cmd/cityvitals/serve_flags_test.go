package main

import (
	"strings"
	"testing"
	"time"

	"cityvitals/notify/webhook"
)

func TestEscalationFlags(t *testing.T) {
	hooks := []webhook.Receiver{{Name: "ops"}, {Name: "supervisors"}}
	c := ServeCmd{Escalate: map[string]string{"red": "supervisors"}, RepeatAfter: map[string]time.Duration{"red": 10 * time.Minute, "blue": 0}}
	esc, rep, err := c.alertEscalation(hooks)
	if err != nil || esc[4] != "supervisors" || len(esc) != 1 || rep[4] != 10*time.Minute || rep[1] != 0 || len(rep) != 2 {
		t.Fatalf("escalate %v repeat %v err %v", esc, rep, err)
	}
	for _, bad := range []ServeCmd{
		{Escalate: map[string]string{"crimson": "ops"}},
		{Escalate: map[string]string{"red": "nobody"}},
		{RepeatAfter: map[string]time.Duration{"red": -time.Minute}},
	} {
		if _, _, err := bad.alertEscalation(hooks); err == nil || !strings.Contains(err.Error(), "--") {
			t.Errorf("%+v: err %v, want a flag error", bad, err)
		}
	}
}
