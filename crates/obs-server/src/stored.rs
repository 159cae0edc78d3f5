//! Stored Responses API answers (docs/reference/responses.md §8) over obs-store: what `store: true` keeps, what
//! `previous_response_id` continues from, and what `GET`/`DELETE /v1/responses/{id}` and `/input_items` read — each
//! row under the gateway key that wrote it (`Auth::key_id`), invisible to every other key.

use obs_convert::responses::new_id;
use obs_models::Error;
use obs_models::error::ErrorCode;
use obs_models::responses::{InputItem, ResponseInput, ResponsesRequest};
use obs_service::config::ResponsesSection;
use obs_store::{Store, StoredResponse};
use serde_json::{Value, json};

use crate::server::ServerError;

/// The store and how long rows are kept.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    store: Store,
    /// Seconds a row is kept; `None`: until deleted.
    ttl: Option<i64>,
}

/// The default file, in the working directory.
const DEFAULT_URL: &str = "sqlite://obs-responses.db";

impl Stored {
    /// Opens `[responses] store_url` (in demo mode, memory unless one is configured).
    pub(crate) async fn open(section: &ResponsesSection, demo: bool) -> Result<Self, ServerError> {
        let url = match &section.store_url {
            Some(url) => url.as_str(),
            None if demo => "sqlite::memory:",
            None => DEFAULT_URL,
        };
        let store = Store::open(url).await.map_err(|e| {
            ServerError::Config(format!("responses.store_url: the response store cannot be opened: {e}"))
        })?;
        tracing::info!(backend = ?store.backend(), "response store open");
        let ttl = (section.store_days > 0)
            .then(|| i64::try_from(section.store_days.saturating_mul(86_400)).unwrap_or(i64::MAX));
        Ok(Stored { store, ttl })
    }

    /// The database (managed keys share it unless `keys.store_url` names another).
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The stored response `id` of `key_id`, or 404.
    pub(crate) async fn load(&self, key_id: &str, id: &str) -> Result<StoredResponse, Error> {
        match self.store.get_response(key_id, id).await {
            Ok(Some(row)) => Ok(row),
            Ok(None) => Err(crate::responses::not_found(id)),
            Err(error) => Err(failed(&error)),
        }
    }

    /// The conversation a request with `previous_response_id` continues: the stored items, oldest first.
    pub(crate) async fn history(&self, key_id: &str, id: &str) -> Result<Vec<InputItem>, Error> {
        let row = self.load(key_id, id).await.map_err(|e| e.with_param("previous_response_id"))?;
        serde_json::from_str(&row.conversation).map_err(|e| {
            Error::new(ErrorCode::InternalError, "A stored conversation could not be read.").with_detail(e.to_string())
        })
    }

    /// Keeps `response` (the object as answered) for `key_id`: the request's input items, and the conversation so
    /// far (`history`, the input, the output) for the next turn. A failure is logged, not answered: the client has
    /// its response.
    pub(crate) async fn save(
        &self,
        key_id: &str,
        request: &ResponsesRequest,
        history: &[InputItem],
        response: &obs_models::responses::Response,
    ) {
        let input = input_items(request);
        let mut conversation: Vec<Value> = history.iter().filter_map(|item| serde_json::to_value(item).ok()).collect();
        conversation.extend(input.iter().cloned());
        conversation.extend(response.output.iter().filter_map(|item| serde_json::to_value(item).ok()));
        let created_at = i64::try_from(response.created_at).unwrap_or(i64::MAX);
        let row = StoredResponse {
            id: response.id.clone(),
            key_id: key_id.to_owned(),
            created_at,
            expires_at: self.ttl.map(|ttl| created_at.saturating_add(ttl)),
            response: serde_json::to_string(response).unwrap_or_default(),
            input_items: Value::Array(input).to_string(),
            conversation: Value::Array(conversation).to_string(),
        };
        if let Err(error) = self.store.put_response(&row).await {
            tracing::warn!(error = %error, response = %row.id, "a response could not be stored");
        }
    }

    /// Deletes the response `id` of `key_id`, or 404.
    pub(crate) async fn delete(&self, key_id: &str, id: &str) -> Result<(), Error> {
        match self.store.delete_response(key_id, id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(crate::responses::not_found(id)),
            Err(error) => Err(failed(&error)),
        }
    }
}

fn failed(error: &obs_store::StoreError) -> Error {
    Error::new(ErrorCode::InternalError, "The response store failed.").with_detail(error.to_string())
}

/// The request's input as items, each with an id (a string input is one user message), as OpenAI lists them.
fn input_items(request: &ResponsesRequest) -> Vec<Value> {
    let mut items: Vec<Value> = match &request.input {
        Some(ResponseInput::Text(text)) => {
            vec![json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})]
        }
        Some(ResponseInput::Items(items)) => items.iter().filter_map(|item| serde_json::to_value(item).ok()).collect(),
        None => Vec::new(),
    };
    for item in &mut items {
        if let Value::Object(object) = item {
            if !object.contains_key("type") && object.contains_key("role") {
                object.insert("type".to_owned(), Value::String("message".to_owned()));
            }
            if object.contains_key("id") {
                continue;
            }
            let prefix = match object.get("type").and_then(Value::as_str) {
                Some("function_call_output") => "fco",
                Some("function_call") => "fc",
                Some("reasoning") => "rs",
                _ => "msg",
            };
            object.insert("id".to_owned(), Value::String(new_id(prefix)));
        }
    }
    items
}
