package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/herolog/herolog/internal/sim"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    Target
		wantErr string
	}{
		{in: "p99 queue < 100ms", want: Target{"p99", "queue", 100}},
		{in: "P99.9 total<2s", want: Target{"p999", "total", 2000}},
		{in: "  max   queue <  1500 ", want: Target{"max", "queue", 1500}},
		{in: "mean total < 250us", want: Target{"mean", "total", 0.25}},
		{in: "p50 queue < 1m", want: Target{"p50", "queue", 60000}},
		{in: "p99 queue 100ms", wantErr: "no '<'"},
		{in: "p98 queue < 100ms", wantErr: "unknown metric"},
		{in: "p99 wait < 100ms", wantErr: "unknown quantity"},
		{in: "p99 < 100ms", wantErr: "want a metric and a quantity"},
		{in: "p99 queue < soon", wantErr: "bad duration"},
		{in: "p99 queue < 0ms", wantErr: "above zero"},
		{in: "p99 queue < -5", wantErr: "above zero"},
		{in: "p99 queue < NaN", wantErr: "above zero"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTarget(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		// String gives back something ParseTarget reads as the same target.
		if again, err := ParseTarget(got.String()); err != nil || again != got {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
}

func TestTargetValue(t *testing.T) {
	r := sim.Result{
		Queue: sim.Dist{Mean: 1, P50: 2, P90: 3, P99: 4, P999: 5, Max: 6},
		Total: sim.Dist{Mean: 11, P50: 12, P90: 13, P99: 14, P999: 15, Max: 16},
	}
	want := map[string]float64{"mean": 1, "p50": 2, "p90": 3, "p99": 4, "p999": 5, "max": 6}
	for _, m := range metrics {
		for _, of := range []string{"queue", "total"} {
			w := want[m]
			if of == "total" {
				w += 10
			}
			if got := (Target{m, of, 1}).value(r); got != w {
				t.Errorf("%s %s = %v, want %v", m, of, got, w)
			}
		}
	}
}

func TestParseDynos(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr string
	}{
		{in: "2..5", want: []int{2, 3, 4, 5}},
		{in: "8,4, 4 ,2..3", want: []int{2, 3, 4, 8}},
		{in: "7", want: []int{7}},
		{in: "1..1", want: []int{1}},
		{in: "0..3", wantErr: "between 1"},
		{in: "5..2", wantErr: "backwards"},
		{in: "2..x", wantErr: "not a count"},
		{in: "", wantErr: "not a count"},
		{in: "1..1000", wantErr: "more than 100"},
		{in: "1..60,100..160", wantErr: "more than 100"},
		{in: "1001", wantErr: "between 1"},
	}
	for _, tt := range tests {
		got, err := ParseDynos(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDynos(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseDynos(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseScale(t *testing.T) {
	tests := []struct {
		in   string
		want float64 // 0: an error
	}{
		{"2x", 2}, {"2", 2}, {"1.5X", 1.5}, {"150%", 1.5}, {" 0.5x ", 0.5},
		{"0", 0}, {"-2x", 0}, {"x", 0}, {"twice", 0}, {"1001", 0}, {"NaN", 0}, {"Inf", 0},
	}
	for _, tt := range tests {
		got, err := ParseScale(tt.in)
		if (err != nil) != (tt.want == 0) || got != tt.want {
			t.Errorf("ParseScale(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRouting(t *testing.T) {
	got, err := ParseRouting("least-conn, random,slow_fast,Pooled,random")
	want := []sim.Policy{sim.LeastConn, sim.Random, sim.SlowFast, sim.Pooled}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseRouting = %v, %v; want %v", got, err, want)
	}
	for _, p := range want {
		if q, err := ParseRouting(RoutingName(p)); err != nil || q[0] != p {
			t.Errorf("RoutingName(%v) = %q does not parse back: %v %v", p, RoutingName(p), q, err)
		}
	}
	if _, err := ParseRouting("random,smart"); err == nil || !strings.Contains(err.Error(), `"smart"`) {
		t.Errorf("ParseRouting(random,smart) error = %v", err)
	}
}

func TestDefaultDynos(t *testing.T) {
	tests := []struct {
		current int
		scale   float64
		littles float64
		want    []int
	}{
		{4, 1, 0.2, []int{1, 2, 3, 4, 5, 6, 7, 8}},
		{4, 1, 3.1, []int{4, 5, 6, 7, 8, 9}},
		{4, 2, 6.2, []int{7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		{1, 1, 0, []int{1, 2, 3, 4, 5, 6}},
		{20, 1, 8.1, []int{9, 11, 13, 15, 17, 19, 20, 21, 23, 26, 28, 30, 32, 34, 36, 38, 40}},
	}
	for _, tt := range tests {
		got := DefaultDynos(tt.current, tt.scale, tt.littles)
		if !slices.Equal(got, tt.want) {
			t.Errorf("DefaultDynos(%d, %v, %v) = %v, want %v", tt.current, tt.scale, tt.littles, got, tt.want)
		}
		if !slices.IsSorted(got) || len(got) > 17 {
			t.Errorf("DefaultDynos(%d, %v, %v) = %v: not sorted or too long", tt.current, tt.scale, tt.littles, got)
		}
	}
}

func TestSlowPoolSizes(t *testing.T) {
	tests := []struct {
		d     int
		share float64
		want  []int
	}{
		{1, 0.5, nil},
		{2, 0.01, []int{1}},
		{2, 0.99, []int{1}},
		{10, 0.3, []int{2, 3, 4}},
		{10, 0.95, []int{9}},
	}
	for _, tt := range tests {
		if got := slowPoolSizes(tt.d, tt.share); !slices.Equal(got, tt.want) {
			t.Errorf("slowPoolSizes(%d, %v) = %v, want %v", tt.d, tt.share, got, tt.want)
		}
	}
}
