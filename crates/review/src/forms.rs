//! The page's forms, read strictly: a form that names an unknown field, decision, person or choice
//! (a tampered request) is refused whole, with what was wrong, and nothing of it is decided.

use dirsync::{
    model::Side,
    plan::{ChangeKind, Decision, ItemId, Plan},
};
use std::fmt;

/// Why a form was refused: shown to the person as it is (a 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormError(pub(crate) String);

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse<T>(message: impl Into<String>) -> Result<T, FormError> {
    Err(FormError(message.into()))
}

/// The plan a form was made for (its hidden `plan` field).
pub(crate) fn generation(fields: &[(String, String)]) -> Result<u64, FormError> {
    let values: Vec<&str> =
        fields.iter().filter(|(k, _)| k == "plan").map(|(_, v)| v.as_str()).collect();
    match values.as_slice() {
        [one] => {
            one.parse().or_else(|_| refuse(format!("the plan number {one:?} is not a number")))
        }
        [] => refuse("the form names no plan: reload the page and choose again"),
        _ => refuse("the form names more than one plan"),
    }
}

/// A side as the forms name it.
fn side(value: &str, field: &str) -> Result<Side, FormError> {
    match value {
        "hr" => Ok(Side::Hr),
        "idp" => Ok(Side::Idp),
        other => refuse(format!("{other:?} is not a side for {field}: use hr or idp")),
    }
}

/// The form fields as the browser sent them, in order.
pub(crate) type Fields = [(String, String)];

/// How a step's form is read against the plan.
pub(crate) type Reader = fn(&Fields, &Plan) -> Result<Decided, FormError>;

/// What a form of the steps asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decided {
    /// The decisions to settle.
    pub(crate) decisions: Vec<(ItemId, Decision)>,
    /// Whether to go on: "Next" (step 1), "Synchronize users" (step 2).
    pub(crate) next: bool,
}

/// Reads the form of step 1 against `plan`: a choice (`hr`, `idp`, `skip`) per change id, an
/// optional `all` (a side for every conflict and missing value not chosen by the person), `next`.
///
/// A submitted choice that differs from the plan's, or one the person made before, is the
/// person's; `all` settles the rest of the conflicts and missing values (never a change that flows
/// from one side, and never a value that cannot be written, which is skipped if it was pending).
pub(crate) fn changes_form(fields: &[(String, String)], plan: &Plan) -> Result<Decided, FormError> {
    let mut chosen: Vec<(ItemId, Decision)> = Vec::new();
    let (mut all, mut next) = (None, false);
    for (key, value) in fields {
        match key.as_str() {
            "plan" => {}
            "next" => next = true,
            "all" => all = Some(side(value, "all")?),
            id => {
                let Some(change) = plan.changes.iter().find(|c| c.id.as_str() == id) else {
                    return refuse(format!(
                        "no conflict or missing value has the id {id:?}; the plan may have \
                         changed: reload the page and choose again"
                    ));
                };
                let decision = match value.as_str() {
                    "hr" => Decision::UseHr,
                    "idp" => Decision::UseIdp,
                    "skip" => Decision::Skip,
                    other => {
                        return refuse(format!(
                            "{other:?} is not a choice for {} · {}: choose hr, idp or skip",
                            change.name,
                            change.field.label()
                        ));
                    }
                };
                if chosen.iter().any(|(known, _)| known == &change.id) {
                    return refuse(format!("the form chooses twice for {id}"));
                }
                chosen.push((change.id.clone(), decision));
            }
        }
    }
    Ok(Decided { decisions: with_all(plan, chosen, all), next })
}

/// The person's choices, and `all` for the conflicts and missing values they left to it.
fn with_all(
    plan: &Plan,
    chosen: Vec<(ItemId, Decision)>,
    all: Option<Side>,
) -> Vec<(ItemId, Decision)> {
    let Some(winner) = all else { return chosen };
    let wins = match winner {
        Side::Hr => Decision::UseHr,
        Side::Idp => Decision::UseIdp,
    };
    let mut decisions = Vec::new();
    for change in &plan.changes {
        let submitted = chosen.iter().find(|(id, _)| id == &change.id).map(|(_, d)| *d);
        let now = change.settled;
        let persons = match (submitted, now) {
            (Some(d), Some(settled)) => {
                d != settled.decision || settled.by == dirsync::plan::DecidedBy::Caller
            }
            (Some(_), None) => true,
            (None, _) => false,
        };
        if persons || matches!(change.kind, ChangeKind::Changed(_)) {
            if let Some(d) = submitted {
                decisions.push((change.id.clone(), d));
            }
            continue;
        }
        let blocked =
            change.value(winner).is_some() && change.blocked_toward(winner.other()).is_some();
        match (blocked, now) {
            (false, _) => decisions.push((change.id.clone(), wins)),
            (true, None) => decisions.push((change.id.clone(), Decision::Skip)),
            (true, Some(_)) => {}
        }
    }
    decisions
}

/// Reads the form of step 2 against `plan`: `create` once per person ticked (a creation id),
/// optional `all` / `none` (the side to create everyone in, or nobody), `apply` (then `next`):
/// every person found on one side only is created or skipped.
pub(crate) fn creations_form(
    fields: &[(String, String)],
    plan: &Plan,
) -> Result<Decided, FormError> {
    let mut ticked: Vec<&ItemId> = Vec::new();
    let (mut all, mut none, mut apply) = (None, None, false);
    for (key, value) in fields {
        match key.as_str() {
            "plan" => {}
            "apply" => apply = true,
            "all" => all = Some(side(value, "all")?),
            "none" => none = Some(side(value, "none")?),
            "create" => {
                let Some(creation) = plan.creations.iter().find(|c| c.id.as_str() == value) else {
                    return refuse(format!(
                        "nobody to create has the id {value:?}; the plan may have changed: \
                         reload the page and choose again"
                    ));
                };
                ticked.push(&creation.id);
            }
            other => return refuse(format!("the form names an unknown field {other:?}")),
        }
    }
    let decisions = plan
        .creations
        .iter()
        .map(|c| {
            // Someone who cannot be created is never ticked by "create all".
            let create = if c.cannot_create.is_some() {
                false
            } else if all == Some(c.target()) {
                true
            } else if none == Some(c.target()) {
                false
            } else {
                ticked.contains(&&c.id)
            };
            (c.id.clone(), if create { Decision::Create } else { Decision::Skip })
        })
        .collect();
    Ok(Decided { decisions, next: apply })
}

/// The held-back write a release form names.
pub(crate) fn release_form(fields: &[(String, String)]) -> Result<String, FormError> {
    let mut id = None;
    for (key, value) in fields {
        match key.as_str() {
            "plan" => {}
            "id" if id.is_none() => id = Some(value.clone()),
            other => return refuse(format!("the form names an unknown field {other:?}")),
        }
    }
    id.ok_or_else(|| FormError("the form names no held-back write to release".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync::{
        directory::{Record, Snapshot},
        model::Person,
        plan::reconcile,
        policy::Policy,
        store::SyncState,
    };

    fn plan() -> Plan {
        let p = |email: &str, title: &str| Person::new().with_email(email).with_job_title(title);
        let hr = Snapshot::new(vec![
            Record::new("h1", p("ada@example.com", "CTO")),
            Record::new("h2", p("bo@example.com", "Lead")),
            Record::new("h3", p("cy@example.com", "Chef")),
        ])
        .with_name("Huma");
        let idp = Snapshot::new(vec![
            Record::new("a1", p("ada@example.com", "Engineer")),
            Record::new("a2", p("bo@example.com", "Manager")),
        ])
        .with_name("Azure AD");
        reconcile(&hr, &idp, &SyncState::new(), &Policy::default())
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn all_settles_only_what_the_person_left_open() {
        let plan = plan();
        let (ada, bo) = (plan.changes[0].id.as_str(), plan.changes[1].id.as_str());
        let form = changes_form(&fields(&[("plan", "1"), (ada, "idp"), ("all", "hr")]), &plan)
            .expect("read");
        assert_eq!(
            form.decisions,
            [(ItemId::new(ada), Decision::UseIdp), (ItemId::new(bo), Decision::UseHr)]
        );
    }

    #[test]
    fn an_unknown_id_or_choice_is_refused_with_what_was_wrong() {
        let plan = plan();
        let ada = plan.changes[0].id.as_str();
        let unknown = changes_form(&fields(&[("chg-0000", "hr")]), &plan).expect_err("refused");
        assert!(unknown.0.contains("chg-0000"), "{unknown}");
        let choice = changes_form(&fields(&[(ada, "both")]), &plan).expect_err("refused");
        assert!(choice.0.contains("\"both\" is not a choice for"), "{choice}");
        let creation = creations_form(&fields(&[("create", "new-nobody")]), &plan);
        assert!(creation.expect_err("refused").0.contains("new-nobody"));
        assert!(release_form(&fields(&[("who", "x")])).is_err());
        assert!(generation(&fields(&[("plan", "x")])).is_err());
    }

    #[test]
    fn unticked_people_are_skipped_and_all_or_none_win_for_their_side() {
        let plan = plan();
        let cy = plan.creations[0].id.clone();
        let ticked = creations_form(&fields(&[("create", cy.as_str())]), &plan).expect("read");
        assert_eq!(ticked.decisions, [(cy.clone(), Decision::Create)]);
        let none = creations_form(&fields(&[("create", cy.as_str()), ("none", "idp")]), &plan);
        assert_eq!(none.expect("read").decisions, [(cy.clone(), Decision::Skip)]);
        let all = creations_form(&fields(&[("all", "idp"), ("apply", "1")]), &plan).expect("read");
        assert_eq!((all.decisions, all.next), (vec![(cy, Decision::Create)], true));
    }

    #[test]
    fn create_all_leaves_out_who_cannot_be_created() {
        let mut plan = plan();
        plan.creations[0].cannot_create = Some("Azure AD requires Given name".to_owned());
        let cy = plan.creations[0].id.clone();
        let all = creations_form(&fields(&[("all", "idp")]), &plan).expect("read");
        assert_eq!(all.decisions, [(cy, Decision::Skip)]);
    }
}
