package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronField is the range and names of one field of a cron expression.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i, matched case-insensitively
}

// checkCron checks a cron expression as the standard parser of
// github.com/robfig/cron/v3 reads it: five fields (minute, hour,
// day-of-month, month, day-of-week), each a comma-separated list of "*",
// "?", a value or a range, optionally with a "/step"; or a descriptor such as
// "@daily" or "@every 5m". A TZ= prefix is refused: schedule.tz sets the zone.
func checkCron(expr string) error {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return errors.New("empty")
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return errors.New("set the time zone in schedule.tz, not in the expression")
	}
	if strings.HasPrefix(expr, "@") {
		return checkDescriptor(expr)
	}
	fieldSpecs := []cronField{
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day-of-month", min: 1, max: 31},
		{name: "month", min: 1, max: 12,
			names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
		{name: "day-of-week", min: 0, max: 6,
			names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
	}
	fields := strings.Fields(expr)
	if len(fields) != len(fieldSpecs) {
		return fmt.Errorf("has %d fields, want 5 (minute hour day-of-month month day-of-week)", len(fields))
	}
	for i, f := range fields {
		if err := fieldSpecs[i].check(f); err != nil {
			return err
		}
	}
	return nil
}

func checkDescriptor(expr string) error {
	if rest, ok := strings.CutPrefix(expr, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return fmt.Errorf("@every: %q is not a duration", strings.TrimSpace(rest))
		}
		if d < time.Second {
			return fmt.Errorf("@every: %s is shorter than 1s", d)
		}
		return nil
	}
	switch expr {
	case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
		return nil
	}
	return fmt.Errorf("unknown descriptor %q", expr)
}

// check checks one field: a comma-separated list of terms.
func (f cronField) check(s string) error {
	for _, term := range strings.Split(s, ",") {
		if err := f.checkTerm(term); err != nil {
			return fmt.Errorf("%s %w", f.name, err)
		}
	}
	return nil
}

// checkTerm checks "*", "?", "v", "lo-hi", each optionally followed by
// "/step". Its errors complete the sentence "<field name> ...".
func (f cronField) checkTerm(term string) error {
	if term == "" {
		return errors.New("has an empty list item")
	}
	rng, step, hasStep := strings.Cut(term, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n <= 0 {
			return fmt.Errorf("step %q is not a positive number", step)
		}
	}
	if rng == "*" || rng == "?" {
		return nil
	}
	loText, hiText, isRange := strings.Cut(rng, "-")
	lo, err := f.value(loText)
	if err != nil {
		return err
	}
	if !isRange {
		return nil
	}
	hi, err := f.value(hiText)
	if err != nil {
		return err
	}
	if lo > hi {
		return fmt.Errorf("range %q runs backwards", rng)
	}
	return nil
}

// value reads a number or name within the field's range.
func (f cronField) value(s string) (int, error) {
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", n, f.min, f.max)
	}
	return n, nil
}
