//! Building findings with stable ids.

use crate::{Finding, FindingKind, ItemId, RecordRef};

/// A finding about `records` on `topic` (a key value, a field), its id derived from all three.
pub(super) fn finding(
    kind: FindingKind,
    mut records: Vec<RecordRef>,
    topic: &str,
    message: String,
) -> Finding {
    records.sort();
    let kind_name = format!("{kind:?}");
    let sides: Vec<String> = records.iter().map(|r| format!("{:?}", r.side)).collect();
    let mut parts: Vec<&str> = vec![&kind_name, topic];
    for (record, side) in records.iter().zip(&sides) {
        parts.push(side);
        parts.push(record.id.as_str());
    }
    Finding { id: ItemId::derive("fnd", &parts), kind, records, message }
}
