//! The report's JSON, as earlier versions wrote it: the typed reason a run stopped is written
//! beside its words, the advice beside a failure's kind, and the time of the run as shown.

use super::{Counts, HeldItem, News, OperationReport, Outcome, Report, SkippedItem, Stopped};
use crate::{ErrorKind, Finding, Names};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How `generated_at` is written: "2026-11-26 13:00 UTC".
const SHOWN: &str = "%Y-%m-%d %H:%M UTC";

/// A report as written: every field borrowed, the stop's words worked out.
#[derive(Serialize)]
struct ReportOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    started_at: Option<&'a DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
    names: &'a Names,
    counts: &'a Counts,
    operations: &'a [OperationReport],
    skipped: &'a [SkippedItem],
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "<[HeldItem]>::is_empty")]
    held: &'a [HeldItem],
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<&'a Stopped>,
    #[serde(skip_serializing_if = "Option::is_none")]
    news: Option<&'a News>,
}

/// A report as read, from this version or an earlier one.
#[derive(Deserialize)]
struct ReportIn {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    generated_at: Option<String>,
    #[serde(default)]
    started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    duration_ms: Option<u64>,
    #[serde(default)]
    names: Names,
    counts: Counts,
    operations: Vec<OperationReport>,
    skipped: Vec<SkippedItem>,
    findings: Vec<Finding>,
    #[serde(default)]
    held: Vec<HeldItem>,
    #[serde(default)]
    stopped: Option<String>,
    #[serde(default)]
    stop: Option<Stopped>,
    #[serde(default)]
    news: Option<News>,
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ReportOut {
            title: self.title.as_ref(),
            generated_at: self.generated_at.map(|at| at.format(SHOWN).to_string()),
            started_at: self.started_at.as_ref(),
            duration_ms: self.duration_ms,
            names: &self.names,
            counts: &self.counts,
            operations: &self.operations,
            skipped: &self.skipped,
            findings: &self.findings,
            held: &self.held,
            stopped: self.stopped.as_ref().map(|stop| stop.explain(&self.names)),
            stop: self.stopped.as_ref(),
            news: self.news.as_ref(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Report {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = ReportIn::deserialize(deserializer)?;
        Ok(Report {
            title: r.title,
            generated_at: r.generated_at.as_deref().and_then(parse_shown),
            started_at: r.started_at,
            duration_ms: r.duration_ms,
            names: r.names,
            counts: r.counts,
            operations: r.operations,
            skipped: r.skipped,
            findings: r.findings,
            held: r.held,
            // An earlier version wrote the words only.
            stopped: r.stop.or(r.stopped.map(|text| Stopped::Other { text })),
            news: r.news,
        })
    }
}

/// A time as `generated_at` shows it, or as RFC 3339; a caller's free text of an earlier
/// version is no time, and is dropped.
fn parse_shown(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), SHOWN)
        .map(|at| at.and_utc())
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(text.trim()).ok().map(|at| at.to_utc()))
}

/// An outcome as written: a failure with the advice for its kind.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub(super) enum OutcomeJson {
    Done,
    Skipped {
        reason: String,
    },
    Failed {
        kind: ErrorKind,
        message: String,
        #[serde(default)]
        advice: String,
    },
    NotAttempted,
}

impl From<Outcome> for OutcomeJson {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Done => OutcomeJson::Done,
            Outcome::Skipped { reason } => OutcomeJson::Skipped { reason },
            Outcome::Failed { kind, message } => {
                OutcomeJson::Failed { kind, message, advice: super::advice(kind).to_owned() }
            }
            Outcome::NotAttempted => OutcomeJson::NotAttempted,
        }
    }
}

impl From<OutcomeJson> for Outcome {
    fn from(json: OutcomeJson) -> Self {
        match json {
            OutcomeJson::Done => Outcome::Done,
            OutcomeJson::Skipped { reason } => Outcome::Skipped { reason },
            // The advice follows from the kind.
            OutcomeJson::Failed { kind, message, .. } => Outcome::Failed { kind, message },
            OutcomeJson::NotAttempted => Outcome::NotAttempted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Side;

    #[test]
    fn a_stopped_report_writes_its_words_as_before_and_reads_back_typed() {
        let at = DateTime::from_timestamp(1_795_698_000, 0).expect("a time"); // 2026-11-26 13:00
        let report = Report {
            names: Names::new("Huma", "Azure AD"),
            generated_at: Some(at),
            stopped: Some(Stopped::CredentialsRefused {
                side: Side::Idp,
                error: "the client secret has expired".into(),
            }),
            ..Report::default()
        };
        let json: serde_json::Value =
            serde_json::from_str(&report.to_json().expect("JSON")).expect("JSON reads");
        assert_eq!(json["generated_at"], "2026-11-26 13:00 UTC");
        assert_eq!(
            json["stopped"],
            "Azure AD refused the credentials (the client secret has expired); the writes to \
             Azure AD after that were not attempted (those to Huma went on): reconnect, then sync \
             again"
        );
        assert_eq!(json["stop"]["reason"], "credentials_refused");
        assert_eq!(json["stop"]["side"], "idp");
        assert_eq!(Report::from_json(&report.to_json().expect("JSON")).expect("read"), report);
    }

    #[test]
    fn an_earlier_versions_report_reads_with_its_words_and_its_time() {
        // As an earlier version wrote it: the words only, and the time as shown.
        let mut earlier = serde_json::to_value(Report::default()).expect("JSON");
        earlier["generated_at"] = "2026-11-26 13:00 UTC".into();
        earlier["stopped"] = "Huma refused the credentials (revoked)".into();
        let report: Report = serde_json::from_value(earlier.clone()).expect("reads");
        assert_eq!(
            report.stopped,
            Some(Stopped::Other { text: "Huma refused the credentials (revoked)".into() })
        );
        assert_eq!(report.generated_at.map(|at| at.timestamp()), Some(1_795_698_000));
        earlier["generated_at"] = "yesterday".into();
        let free_text: Report = serde_json::from_value(earlier).expect("reads");
        assert_eq!(free_text.generated_at, None);
    }

    #[test]
    fn a_failure_writes_the_advice_for_its_kind_and_reads_back_without_it() {
        let failed = Outcome::Failed { kind: ErrorKind::Throttled, message: "429".into() };
        let json = serde_json::to_value(&failed).expect("JSON");
        assert_eq!(json["advice"], "a temporary problem; sync again later and it is tried again");
        assert_eq!(serde_json::from_value::<Outcome>(json).expect("reads"), failed);
    }
}
