//! # dirsync-report
//!
//! How a dirsync run looks to a person. The core crate (`dirsync`) holds the [`dirsync::report::Report`]
//! as data; this crate lays it out, with one look for every view:
//!
//! - [`html`]: the report as one self-contained HTML page (a file, a browser);
//! - [`markdown`]: the report as Markdown (a log, a terminal);
//! - [`ReportEmail`]: the report email for an HR administrator (subject, HTML and text parts,
//!   `changes.csv` and `report.json` attached), sent through any [`dirsync::mail::Mailer`];
//! - [`review`]: the views of the review page (`dirsync-review` serves them);
//! - [`history`]: the recorded runs (`dirsync::store::RunHistory`) as text;
//! - [`PlanText`]: a plan as text, for a terminal or a log (and [`write_held`], the writes held
//!   back);
//! - [`STYLESHEET`]: the one style sheet of the pages; the email uses its colours inline;
//! - [`Decisions`]: the other way, what a person decided about a plan's items, as a JSON file.
//!
//! HTML is written with [maud](https://maud.lambda.xyz/) templates, checked when the crate is
//! compiled: the template engine escapes every value, and no code here escapes HTML by hand.
//!
//! ```
//! use dirsync::{
//!     directory::{InMemoryDirectory, Record},
//!     model::Person,
//!     store::MemoryStore,
//!     sync::Synchronizer,
//! };
//! use dirsync_report::ReportEmail;
//! # futures::executor::block_on(async {
//! let huma = InMemoryDirectory::new([Record::new(
//!     "h1",
//!     Person::new().with_email("ada@example.com").with_job_title("CTO"),
//! )])
//! .with_name("Huma");
//! let azure = InMemoryDirectory::new([Record::new(
//!     "a1",
//!     Person::new().with_email("ada@example.com").with_job_title("Engineer"),
//! )])
//! .with_name("Azure AD");
//! let store = MemoryStore::new();
//! let mut planned = Synchronizer::new(&huma, &azure, &store).plan().await?;
//! for id in planned.pending() {
//!     planned.decide(&id, dirsync::plan::Decision::UseHr)?;
//! }
//! let report = planned.apply().await?.report;
//!
//! let page = dirsync_report::html(&report); // report.html
//! assert!(page.contains("<td>Engineer</td>"));
//! assert!(dirsync_report::markdown(&report).contains("| Azure AD | Job title | Engineer | CTO |"));
//! let email = ReportEmail::new(&report).to_email("sync@example.com", ["hr@example.com"]);
//! assert_eq!(email.subject, "Huma ↔ Azure AD sync: 1 updated");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod decisions;
mod email;
pub mod history;
mod look;
mod markdown;
mod plan_text;
mod report_page;
pub mod review;
mod words;

pub use decisions::{DecisionEntry, Decisions, DecisionsError};
pub use email::ReportEmail;
pub use look::STYLESHEET;
pub use markdown::markdown;
pub use plan_text::{PlanText, held_line, write_held};
pub use report_page::html;
pub use words::{duration_text, finding_label, quoted_value_text, value_text};
