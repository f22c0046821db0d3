//! What a report shows that the last one did not: its findings and held-back writes told apart
//! from those that stand, by what the state remembers of the last report, so that "email on
//! problems" mails what is new, and what stands once a week at most.

use crate::report::{News, Report};
use crate::state::{Reported, SyncState};
use crate::{ApplyError, ItemId};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a standing finding or held-back write goes without being in a report that has
/// problems (one "email on problems" sends) before a report reminds of it: a week.
pub const REMINDER_INTERVAL: Duration = Duration::from_secs(7 * 24 * 3600);

/// [`note`] for the report of an apply, also the one inside [`ApplyError::Fatal`].
pub(crate) fn note_applied(
    applied: Result<Report, ApplyError>,
    state: &mut SyncState,
    now: DateTime<Utc>,
) -> Result<Report, ApplyError> {
    match applied {
        Ok(mut report) => {
            note(&mut report, state, now);
            Ok(report)
        }
        Err(ApplyError::Fatal { side, system, source, mut report }) => {
            note(&mut report, state, now);
            Err(ApplyError::Fatal { side, system, source, report })
        }
        Err(refused) => Err(refused),
    }
}

/// Gives `report` its [`News`] against what `state` remembers of the last report, and makes
/// `state` remember this one instead, at the run's time `now`: its findings and held-back
/// writes, and the writes refused for good in this run (a failure now; held back next time,
/// which is then no news).
pub(crate) fn note(report: &mut Report, state: &mut SyncState, now: DateTime<Utc>) {
    let last = std::mem::take(&mut state.reported);
    let findings = report.findings.iter().map(|f| &f.id);
    let held = report.held.iter().map(|h| &h.id);
    let is_new = |id: &&ItemId| !last.contains_key(*id);
    let week = chrono::Duration::from_std(REMINDER_INTERVAL).unwrap_or(chrono::Duration::MAX);
    let reminder = findings
        .clone()
        .chain(held.clone())
        .filter_map(|id| last.get(id))
        .any(|seen| seen.shown.checked_add_signed(week).is_some_and(|due| due <= now));
    report.news = Some(News {
        findings: findings.clone().filter(is_new).cloned().collect(),
        held: held.clone().filter(is_new).cloned().collect(),
        reminder,
    });
    let problems = report.has_problems();
    let refused_now = state.held.iter().filter(|h| h.last_seen == now).map(|h| &h.id);
    let remembered: BTreeMap<ItemId, Reported> = findings
        .chain(held)
        .chain(refused_now)
        .map(|id| {
            let seen = match last.get(id) {
                Some(seen) if problems => Reported { since: seen.since, shown: now },
                Some(seen) => *seen,
                None => Reported { since: now, shown: now },
            };
            (id.clone(), seen)
        })
        .collect();
    state.reported = remembered;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Finding, FindingKind};

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-03-{day:02}T06:00:00Z").parse().expect("a time")
    }

    fn finding(id: &str) -> Finding {
        Finding {
            id: ItemId::new(id),
            kind: FindingKind::Ambiguous,
            records: Vec::new(),
            message: format!("{id} is ambiguous"),
        }
    }

    fn report(findings: &[&str]) -> Report {
        let mut report =
            Report { findings: findings.iter().map(|f| finding(f)).collect(), ..Report::default() };
        report.counts.findings = findings.len();
        report
    }

    /// Runs of the same findings at `days`, each noted over the state the one before left:
    /// whether each had problems.
    fn runs(findings: &[&str], days: &[u32]) -> Vec<bool> {
        let mut state = SyncState::new();
        days.iter()
            .map(|day| {
                let mut report = report(findings);
                note(&mut report, &mut state, at(*day));
                report.has_problems()
            })
            .collect()
    }

    #[test]
    fn a_finding_is_a_problem_when_new_then_once_a_week_while_it_stands() {
        // Hourly runs are the same as daily ones here: only the week counts.
        assert_eq!(
            runs(&["fnd-1"], &[1, 1, 2, 7, 8, 9, 15]),
            [true, false, false, false, true, false, true]
        );
    }

    #[test]
    fn a_new_finding_beside_a_standing_one_is_news_and_the_standing_one_is_not() {
        let mut state = SyncState::new();
        note(&mut report(&["fnd-1"]), &mut state, at(1));
        let mut second = report(&["fnd-1", "fnd-2"]);
        note(&mut second, &mut state, at(2));
        let news = second.news.clone().expect("noted");
        assert_eq!(news.findings, [ItemId::new("fnd-2")]);
        assert!(!news.is_new(&ItemId::new("fnd-1")) && !news.reminder);
        assert!(second.has_problems());
        assert_eq!(state.reported[&ItemId::new("fnd-1")].since, at(1));
        assert_eq!(state.reported[&ItemId::new("fnd-1")].shown, at(2), "repeated in that email");
    }

    #[test]
    fn a_finding_that_went_away_and_came_back_is_news_again() {
        let mut state = SyncState::new();
        note(&mut report(&["fnd-1"]), &mut state, at(1));
        note(&mut report(&[]), &mut state, at(2));
        assert!(state.reported.is_empty());
        let mut back = report(&["fnd-1"]);
        note(&mut back, &mut state, at(3));
        assert!(back.has_problems());
    }

    #[test]
    fn a_failed_write_is_a_problem_whatever_was_reported() {
        let mut state = SyncState::new();
        note(&mut report(&["fnd-1"]), &mut state, at(1));
        let mut failed = report(&["fnd-1"]);
        failed.counts.failed = 1;
        note(&mut failed, &mut state, at(2));
        assert!(failed.has_problems() && failed.news.as_ref().is_some_and(News::is_empty));
    }
}
