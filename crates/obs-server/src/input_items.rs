//! `GET /v1/responses/{id}/input_items` as OpenAI pages it (docs/reference/responses.md §8): the stored input
//! items in `order` (`desc`, newest first, by default), those after the item `after` and before the item `before`,
//! at most `limit` (1–100, default 20), with `first_id`, `last_id` and `has_more`. Pure: the caller loads the items.

use obs_models::Error;
use serde_json::{Value, json};

use crate::chat::query_param;

/// The page size when `limit` is not given, and the largest one, as OpenAI's.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// The list object of one page of `items` (oldest first, as stored) for the query string `query`.
pub(crate) fn page(mut items: Vec<Value>, query: Option<&str>) -> Result<Value, Error> {
    let limit = match query_param(query, "limit") {
        None => DEFAULT_LIMIT,
        Some(text) => text.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            Error::invalid("limit", format!("Invalid 'limit': '{text}'. Expected an integer from 1 to {MAX_LIMIT}."))
        })?,
    };
    match query_param(query, "order").as_deref() {
        None | Some("desc") => items.reverse(),
        Some("asc") => {}
        Some(other) => {
            return Err(Error::invalid("order", format!("Invalid 'order': '{other}'. Expected 'asc' or 'desc'.")));
        }
    }
    // Items strictly between the two cursors, in the listing's order.
    let position = |param: &str| -> Result<Option<usize>, Error> {
        let Some(id) = query_param(query, param) else { return Ok(None) };
        items
            .iter()
            .position(|item| item.get("id").and_then(Value::as_str) == Some(id.as_str()))
            .map(Some)
            .ok_or_else(|| Error::invalid(param, format!("Invalid '{param}': no input item '{id}' in this response.")))
    };
    let start = position("after")?.map_or(0, |i| i + 1);
    let end = position("before")?.unwrap_or(items.len()).max(start);
    let window = &items[start..end];
    // Paging back (`before` alone) takes the items nearest the cursor, as OpenAI's lists do.
    let backwards = query_param(query, "before").is_some() && query_param(query, "after").is_none();
    let (data, has_more) = if window.len() <= limit {
        (window, false)
    } else if backwards {
        (&window[window.len() - limit..], true)
    } else {
        (&window[..limit], true)
    };
    let id = |item: Option<&Value>| item.and_then(|i| i.get("id")).cloned().unwrap_or(Value::Null);
    Ok(json!({"object": "list", "data": data, "first_id": id(data.first()), "last_id": id(data.last()),
              "has_more": has_more}))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<Value> {
        (1..=n).map(|i| json!({"id": format!("msg_{i}")})).collect()
    }

    fn ids(page: &Value) -> (Vec<&str>, &Value, &Value, bool) {
        let data = page["data"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
        (data, &page["first_id"], &page["last_id"], page["has_more"].as_bool().unwrap())
    }

    #[test]
    fn pages_forward_and_back_in_either_order() {
        let page_of = |query: &str| page(items(5), Some(query)).unwrap();
        assert_eq!(
            ids(&page_of("")),
            (vec!["msg_5", "msg_4", "msg_3", "msg_2", "msg_1"], &json!("msg_5"), &json!("msg_1"), false)
        );
        assert_eq!(ids(&page_of("limit=2")), (vec!["msg_5", "msg_4"], &json!("msg_5"), &json!("msg_4"), true));
        assert_eq!(
            ids(&page_of("limit=2&after=msg_4")),
            (vec!["msg_3", "msg_2"], &json!("msg_3"), &json!("msg_2"), true)
        );
        assert_eq!(ids(&page_of("limit=2&after=msg_2")), (vec!["msg_1"], &json!("msg_1"), &json!("msg_1"), false));
        assert_eq!(
            ids(&page_of("order=asc&limit=2&after=msg_2")),
            (vec!["msg_3", "msg_4"], &json!("msg_3"), &json!("msg_4"), true)
        );
        assert_eq!(
            ids(&page_of("order=asc&limit=2&before=msg_5")),
            (vec!["msg_3", "msg_4"], &json!("msg_3"), &json!("msg_4"), true)
        );
        assert_eq!(ids(&page_of("order=asc&before=msg_2")), (vec!["msg_1"], &json!("msg_1"), &json!("msg_1"), false));
        assert_eq!(
            ids(&page_of("order=asc&after=msg_1&before=msg_4")),
            (vec!["msg_2", "msg_3"], &json!("msg_2"), &json!("msg_3"), false)
        );
        assert_eq!(ids(&page_of("after=msg_1")), (vec![], &Value::Null, &Value::Null, false));
    }

    #[test]
    fn bad_parameters_are_named() {
        for (query, param) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=x", "limit"),
            ("order=up", "order"),
            ("after=msg_9", "after"),
            ("before=nope", "before"),
        ] {
            let error = page(items(3), Some(query)).unwrap_err();
            assert_eq!(error.param.as_deref(), Some(param), "{query}");
        }
    }
}
