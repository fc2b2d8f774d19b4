package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/herolog/herolog/internal/plan"
)

func TestPlanRender(t *testing.T) {
	cost := 50.0
	rep := &plan.Report{
		Requests: 10, CurrentDynos: 2, Workers: 1, WorkersSource: "flag", Scale: 1, Target: plan.DefaultTarget,
		SlowRoutes: []string{"/evil\x1b[2J:id"}, PricePerDyno: 25,
		Rows: []plan.Row{
			{Dynos: 1, Workers: 1, Routing: "random", QueueP99MS: 250, TargetMS: 250},
			{Dynos: 2, Workers: 1, Routing: "random", QueueP99MS: 12.5, TargetMS: 12.5, MeetsTarget: true, Recommended: true, Current: true, CostPerMonth: &cost},
		},
		Recommended: []plan.Recommendation{{Routing: "random", Dynos: 2, CostPerMonth: &cost}},
		Notes:       []string{"a note with \x07 a bell"},
	}
	tests := []struct {
		format, color string
		want          []string
		notWant       []string
	}{
		{format: "table", want: []string{"Recommendation: 2 dynos × 1 workers with random routing (Heroku's router), $50/month.",
			"◀ smallest, current", "12.5", "$50", `/evil`, "-  "}, notWant: []string{"\x1b", "\x07"}},
		{format: "table", color: "on", want: []string{planGreen + "2" + ansiReset}},
		{format: "json", want: []string{`"queue_p99_ms": 12.5`, `"cost_per_month": 50`, `"recommended": true`, `\u001b[2J`}, notWant: []string{"\x1b"}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := PlanRender(tt.format, &b, rep, Options{Color: tt.color != ""}); err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		for _, s := range tt.want {
			if !strings.Contains(b.String(), s) {
				t.Errorf("%s %s: output lacks %q:\n%s", tt.format, tt.color, s, b.String())
			}
		}
		for _, s := range tt.notWant {
			if strings.Contains(b.String(), s) {
				t.Errorf("%s %s: output contains %q:\n%s", tt.format, tt.color, s, b.String())
			}
		}
	}
	if err := PlanRender("csv", &bytes.Buffer{}, rep, Options{}); err == nil {
		t.Error("PlanRender(csv): no error")
	}
}

func TestFmtDollars(t *testing.T) {
	for v, want := range map[float64]string{75: "$75", 87.5: "$87.50", 12500: "$12,500", 0.25: "$0.25"} {
		if got := fmtDollars(v); got != want {
			t.Errorf("fmtDollars(%v) = %q, want %q", v, got, want)
		}
	}
}
