// Package sla owns time limits (时限) of incidents: working-time calendars,
// the policy that says how long each category and level of incident may
// take, and the clocks that turn those limits into absolute deadlines.
//
// # Calendars
//
// A Calendar counts working time. It is either round the clock (every
// instant counts) or a table of working hours per weekday in one time zone
// (several intervals a day, e.g. 08:30–12:00 and 13:30–17:30), with
// holidays (dates off) and make-up working days (调休: usually weekend dates
// worked in exchange for a bridged holiday, which keep the hours of an
// ordinary working day). Hours are wall-clock times: on a day when
// daylight saving time starts or ends, an interval lasts as long as the
// clocks on the wall say, so Working is real elapsed time. A wall time that
// does not exist (skipped by a spring-forward) stands for the instant the
// clocks jump; a wall time that occurs twice (fall-back) stands for its
// first occurrence. Add and Working skip whole regular weeks at once, so a
// limit of 15 working days costs a handful of day steps, not a walk.
//
// # Policy
//
// A Policy (YAML, embedded default policy.yaml, replaceable by a file)
// names calendars, holiday schedules, the incident categories, and rules.
// A rule matches a category (an id or "*") and a level (1 blue … 4 red or
// "*"); the most specific wins, category before level: (category, level),
// then (category, *), then (*, level), then (*, *). A rule gives the
// working time allowed to respond and to dispose, the calendar it is
// counted on, the fraction of it after which a deadline is near, when an
// overdue deadline escalates a second time, and the supervising
// departments (督办) told at each step. Every rule, calendar and holiday
// schedule names its source; see the header of policy.yaml for where the
// defaults come from and how sure we are of them.
//
// # Clocks
//
// A Clock is the value an incident stores: started at dispatch, it holds
// absolute deadlines (respond by, dispose by), the near and second-level
// escalation instants, pauses (suspension, 挂起) and extensions (延期). It is
// plain data, JSON in Unix milliseconds, so it survives restarts by being
// stored; nothing in this package keeps state between calls. Operations
// that count working time take the Calendar the clock was started on
// (Policy.Calendar(clock.Calendar)); Status, Step and Due only compare
// instants, so a scanner checks many clocks cheaply.
//
// # Escalation
//
// Each deadline (leg) climbs the steps none → near → overdue → second
// level. Due returns the steps a clock reached that were not yet recorded;
// the caller emits them (each with an idempotency Key), then records them
// with MarkEscalated and stores the clock. See Due for the exact contract.
package sla
