//! Comparing one pair field by field, and settling what the baseline and the policy can.

use super::findings::finding;
use super::pairing::PairedRecords;
use super::{Input, name_of};
use crate::{
    Blocked, Change, ChangeKind, ConflictRule, DecidedBy, Decision, Field, FieldRef, Finding,
    FindingKind, ItemId, MissingRule, Pair, Record, RecordRef, Settled, Side,
};

/// What comparing pairs gives, in the order of the pairs.
#[derive(Default)]
pub(super) struct Compared {
    pub(super) pairs: Vec<Pair>,
    pub(super) changes: Vec<Change>,
    pub(super) findings: Vec<Finding>,
}

impl Compared {
    /// Appends `later`, which compared the pairs after these.
    pub(super) fn append(&mut self, later: Compared) {
        self.pairs.extend(later.pairs);
        self.changes.extend(later.changes);
        self.findings.extend(later.findings);
    }
}

/// Compares `pairs` in order into `out`.
pub(super) fn compare_pairs(input: &Input<'_>, pairs: &[PairedRecords<'_>], out: &mut Compared) {
    for paired in pairs {
        compare_pair(input, paired, out);
    }
}

fn compare_pair(input: &Input<'_>, paired: &PairedRecords<'_>, out: &mut Compared) {
    let Compared { pairs, changes, findings } = out;
    let hr = input.record(Side::Hr, paired.hr);
    let idp = input.record(Side::Idp, paired.idp);
    let outside_scope = !hr.scope.is_in() || !idp.scope.is_in();
    if outside_scope {
        findings.push(left_scope(input, hr, idp));
    }
    if paired.unreadable {
        // Nothing of an unreadable record can be compared: the link and its baseline are kept.
        pairs.push(Pair {
            hr: hr.id.clone(),
            idp: idp.id.clone(),
            matched_by: paired.matched_by,
            in_scope: false,
            outside_scope,
            agreed: paired.baseline.cloned().unwrap_or_default(),
        });
        return;
    }
    // Only people with changes or findings need a name; most pairs have none.
    let name = std::cell::OnceCell::new();
    let name = || name.get_or_init(|| name_of(hr)).clone();
    let in_scope = input.in_scope(hr) && input.in_scope(idp);
    // What both hold, sharing the HR record's values: most pairs differ in nothing, and then
    // the copy costs two reference counts.
    let mut agreed = hr.person.fields_only();
    for field in crate::Field::ALL {
        let (h, i) = (hr.person.get(field), idp.person.get(field));
        if h == i {
            continue;
        }
        let baseline = paired.baseline.and_then(|b| b.get(field));
        match paired.baseline {
            // Still different: remember what was agreed before, so a change that cannot be
            // written now is still known as a one-sided change next time, not a conflict.
            Some(old) => agreed.copy_field(old, field),
            None => agreed.clear(field),
        }
        if !in_scope {
            continue;
        }
        let kind = kind_of(h, i, baseline);
        let blocked = blocked(input, hr, idp, field, h, i);
        let settled = settle(input, field, kind);
        changes.push(Change {
            id: change_id(hr, idp, field, h, i),
            hr: hr.id.clone(),
            idp: idp.id.clone(),
            name: name(),
            field,
            kind,
            hr_value: h.map(FieldRef::to_owned),
            idp_value: i.map(FieldRef::to_owned),
            blocked,
            settled,
        });
    }
    if in_scope {
        for (side, record) in [(Side::Hr, hr), (Side::Idp, idp)] {
            for invalid in &record.invalid {
                findings.push(finding(
                    FindingKind::InvalidValue,
                    vec![RecordRef { side, id: record.id.clone() }],
                    invalid.field.label(),
                    format!(
                        "{} of {} in {}: {}; it is not synced to {}",
                        invalid.field,
                        name(),
                        input.name(side),
                        invalid.reason,
                        input.name(side.other())
                    ),
                ));
            }
        }
    }
    pairs.push(Pair {
        hr: hr.id.clone(),
        idp: idp.id.clone(),
        matched_by: paired.matched_by,
        in_scope,
        outside_scope,
        agreed,
    });
}

/// The finding for a linked person of whom one record (or both) is outside its directory's
/// scope: they left the scope.
fn left_scope(input: &Input<'_>, hr: &Record, idp: &Record) -> Finding {
    let outside: Vec<String> = [(Side::Hr, hr), (Side::Idp, idp)]
        .into_iter()
        .filter(|(_, record)| !record.scope.is_in())
        .map(|(side, record)| {
            let system = input.name(side);
            match &input.snapshot(side).scope {
                Some(scope) => {
                    format!("{system} record {} is outside its scope: {scope}", record.id)
                }
                None => format!("{system} record {} is outside its scope", record.id),
            }
        })
        .collect();
    let scope = &input.policy.scope;
    let account = if scope.disable_out_of_scope && input.policy.leavers.disable {
        format!("their account in {} is disabled", input.name(Side::Idp))
    } else {
        format!(
            "their account in {} stays as it is, since people out of scope are not disabled",
            input.name(Side::Idp)
        )
    };
    finding(
        FindingKind::LeftScope,
        vec![
            RecordRef { side: Side::Hr, id: hr.id.clone() },
            RecordRef { side: Side::Idp, id: idp.id.clone() },
        ],
        "scope",
        format!(
            "{} left the scope of the sync ({}): the link is kept and nothing is written; {account}",
            name_of(hr),
            outside.join("; ")
        ),
    )
}

/// What kind of difference two unequal values are.
fn kind_of(
    h: Option<FieldRef<'_>>,
    i: Option<FieldRef<'_>>,
    base: Option<FieldRef<'_>>,
) -> ChangeKind {
    match (h, i) {
        (None, _) => ChangeKind::Missing(Side::Hr),
        (_, None) => ChangeKind::Missing(Side::Idp),
        (Some(FieldRef::Address(a)), Some(FieldRef::Address(b))) if a.is_part_of(b) => {
            ChangeKind::Missing(Side::Hr)
        }
        (Some(FieldRef::Address(a)), Some(FieldRef::Address(b))) if b.is_part_of(a) => {
            ChangeKind::Missing(Side::Idp)
        }
        _ if base.is_some() && base == h => ChangeKind::Changed(Side::Idp),
        _ if base.is_some() && base == i => ChangeKind::Changed(Side::Hr),
        _ => ChangeKind::Conflict,
    }
}

/// The sides `field` cannot be written to, and why.
fn blocked(
    input: &Input<'_>,
    hr: &Record,
    idp: &Record,
    field: Field,
    h: Option<FieldRef<'_>>,
    i: Option<FieldRef<'_>>,
) -> Vec<Blocked> {
    let mut blocked = Vec::new();
    for (target, source_value, target_record, source_record) in
        [(Side::Hr, i, hr, idp), (Side::Idp, h, idp, hr)]
    {
        let caps = &input.snapshot(target).capabilities;
        let read_only = target_record.read_only.contains(field);
        let invalid = source_record.invalid_value(field);
        if let Some(reason) = caps.blocked(field, source_value, read_only, invalid) {
            blocked.push(Blocked { toward: target, reason });
        }
    }
    blocked
}

/// How the baseline or the policy settles a difference, if it can.
fn settle(input: &Input<'_>, field: Field, kind: ChangeKind) -> Option<Settled> {
    let use_side = |side: Side| match side {
        Side::Hr => Decision::UseHr,
        Side::Idp => Decision::UseIdp,
    };
    let (decision, by) = match kind {
        ChangeKind::Changed(side) => (use_side(side), DecidedBy::Baseline),
        ChangeKind::Missing(empty) => match input.policy.missing {
            MissingRule::Fill => (use_side(empty.other()), DecidedBy::Policy),
            MissingRule::Skip => (Decision::Skip, DecidedBy::Policy),
            MissingRule::Ask => return None,
        },
        ChangeKind::Conflict => match input.policy.conflict_rule(field) {
            ConflictRule::PreferHr => (Decision::UseHr, DecidedBy::Policy),
            ConflictRule::PreferIdp => (Decision::UseIdp, DecidedBy::Policy),
            ConflictRule::Skip => (Decision::Skip, DecidedBy::Policy),
            ConflictRule::Ask => return None,
        },
    };
    Some(Settled { decision, by })
}

fn change_id(
    hr: &Record,
    idp: &Record,
    field: Field,
    h: Option<FieldRef<'_>>,
    i: Option<FieldRef<'_>>,
) -> ItemId {
    let show = |v: Option<FieldRef<'_>>| v.map(|v| v.to_string()).unwrap_or_default();
    let (hs, is) = (show(h), show(i));
    ItemId::derive("chg", &[hr.id.as_str(), idp.id.as_str(), field.label(), &hs, &is])
}
