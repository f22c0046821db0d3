//! Raw JSON set on a user's property, so the fake answers values of any type (a `status.active` of
//! `"yes"`, a `givenName` of `42`), as a Huma with a format change or a broken record would.

use serde_json::{Map, Value};

/// Where a raw value shows: in the user's entry of `GET /users` (`User`) or in
/// `GET /users/{id}` (`UserDetails`, which `PATCH /users/{id}` also answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HumaView {
    /// The user's entry in a list page (`User`).
    ListEntry,
    /// The user in full (`UserDetails`).
    Details,
}

/// One raw value: `None` removes the property.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawProperty {
    pub(crate) view: HumaView,
    pub(crate) path: Vec<String>,
    pub(crate) value: Option<Value>,
}

impl RawProperty {
    /// `path` is dot-separated (`status.active`, `currentPositions.0.title.name`); empty means
    /// the whole value.
    pub(crate) fn new(view: HumaView, path: &str, value: Option<Value>) -> Self {
        let path =
            if path.is_empty() { Vec::new() } else { path.split('.').map(str::to_owned).collect() };
        RawProperty { view, path, value }
    }
}

/// `json` with the raw values for `view` applied in the order they were set.
pub(crate) fn apply(mut json: Value, raw: &[RawProperty], view: HumaView) -> Value {
    for property in raw.iter().filter(|p| p.view == view) {
        set(&mut json, &property.path, property.value.clone());
    }
    json
}

/// Sets (or with `None` removes) the value at `path`, making objects on the way where the path
/// leads through something else. A number is an index into an array that is there.
fn set(json: &mut Value, path: &[String], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        *json = value.unwrap_or(Value::Null);
        return;
    };
    let mut node = json;
    for key in parents {
        node = child(node, key);
    }
    let index = index_in(node, last);
    match (node, index, value) {
        (Value::Array(items), Some(i), Some(value)) => items[i] = value,
        (Value::Array(items), Some(i), None) => {
            items.remove(i);
        }
        (Value::Object(map), _, None) => {
            map.remove(last);
        }
        (node, _, Some(value)) => {
            *child(node, last) = value;
        }
        // Nothing to remove.
        (_, _, None) => {}
    }
}

/// The index `key` names in `node`, when `node` is an array that long.
fn index_in(node: &Value, key: &str) -> Option<usize> {
    let i = key.parse::<usize>().ok()?;
    node.as_array().is_some_and(|items| i < items.len()).then_some(i)
}

/// The value under `key` in `node`, made (as `null`) if missing; `node` becomes an object first
/// when it is neither an object nor an array `key` indexes.
fn child<'a>(node: &'a mut Value, key: &str) -> &'a mut Value {
    let index = index_in(node, key);
    if index.is_none() && !node.is_object() {
        *node = Value::Object(Map::new());
    }
    match (node, index) {
        (Value::Array(items), Some(i)) => &mut items[i],
        (Value::Object(map), _) => map.entry(key.to_owned()).or_insert(Value::Null),
        // Made an object just above.
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set_at(json: Value, path: &str, value: Option<Value>) -> Value {
        let raw = [RawProperty::new(HumaView::Details, path, value)];
        apply(json, &raw, HumaView::Details)
    }

    #[test]
    fn a_value_replaces_whatever_is_at_its_path() {
        let user = json!({"id": "u1", "status": {"active": true}, "givenName": {"value": "Ada"}});
        assert_eq!(
            set_at(user.clone(), "status.active", Some(json!("yes")))["status"],
            json!({"active": "yes"})
        );
        assert_eq!(set_at(user.clone(), "givenName", Some(json!(42)))["givenName"], json!(42));
        assert_eq!(set_at(user.clone(), "", Some(json!("u1"))), json!("u1"));
        assert_eq!(
            set_at(user.clone(), "id", None),
            json!({"status": {"active": true}, "givenName": {"value": "Ada"}})
        );
        // Through a value that is not an object: an object is made on the way.
        assert_eq!(
            set_at(user, "givenName.value.first", Some(json!(1)))["givenName"],
            json!({"value": {"first": 1}})
        );
    }

    #[test]
    fn a_number_indexes_an_array_that_is_there() {
        let user = json!({"currentPositions": [{"title": {"name": "CTO"}}]});
        let set = set_at(user.clone(), "currentPositions.0.title.name", Some(json!(7)));
        assert_eq!(set["currentPositions"][0]["title"]["name"], json!(7));
        assert_eq!(set_at(user.clone(), "currentPositions.0", None)["currentPositions"], json!([]));
        // Past the end there is nothing to index: the array becomes an object with that key.
        let set = set_at(user, "currentPositions.3", Some(json!(1)));
        assert_eq!(set["currentPositions"], json!({"3": 1}));
    }

    #[test]
    fn only_the_values_for_the_view_apply() {
        let raw = [RawProperty::new(HumaView::ListEntry, "email", Some(json!(5)))];
        let user = json!({"email": "a@example.com"});
        assert_eq!(apply(user.clone(), &raw, HumaView::Details), user);
        assert_eq!(apply(user, &raw, HumaView::ListEntry), json!({"email": 5}));
    }
}
