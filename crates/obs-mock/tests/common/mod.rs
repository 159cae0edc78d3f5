//! Helpers of the wire tests: ids and timestamps checked for their shape, then masked so whole bodies compare.
#![allow(dead_code)]

use serde_json::Value;

/// (prefix, length of the base62 tail) of every id the mock mints.
const SHAPES: [(&str, usize); 5] =
    [("chatcmpl-", 29), ("call_", 24), ("msg_bdrk_01", 22), ("toolu_bdrk_01", 22), ("tooluse_", 22)];

/// `id` with its random tail replaced by `ID` (`call_ID`), after checking the tail's length and alphabet; panics
/// on an id of no known shape.
pub fn masked_id(id: &str) -> String {
    let (prefix, len) = SHAPES
        .iter()
        .find(|(prefix, _)| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("{id:?} has no known id prefix"));
    let tail = &id[prefix.len()..];
    assert_eq!(tail.len(), *len, "{id:?}: the tail after {prefix} must be {len} characters");
    assert!(tail.bytes().all(|b| b.is_ascii_alphanumeric()), "{id:?} is not base62");
    format!("{prefix}ID")
}

/// Masks, everywhere in `value`, the ids (`id`, `toolUseId` keys) and `created` (checked to be within a minute of
/// now, then set to 0).
pub fn mask(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match (key.as_str(), &*item) {
                    ("id" | "toolUseId", Value::String(id)) => *item = Value::String(masked_id(id)),
                    ("created", Value::Number(created)) => {
                        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                        let created = created.as_u64().unwrap();
                        assert!(now.abs_diff(created) < 60, "created {created} is not now ({now})");
                        *item = Value::from(0);
                    }
                    _ => mask(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// `value` masked.
pub fn masked(mut value: Value) -> Value {
    mask(&mut value);
    value
}
