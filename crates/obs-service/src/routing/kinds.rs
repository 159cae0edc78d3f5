//! What a model does — chat or embeddings — as far as obs knows without asking the upstream, so that a group (or
//! alias) serves one kind of request: a group mixing embedding and chat models is refused at start-up, and a
//! request of the other kind is a 400 before anything is sent (docs/reference/embeddings.md §3).

use obs_adapters::{bedrock, openai};
use obs_models::Error;

use super::RouteRule;
use crate::config::ProviderConfig;
use crate::providers::ProviderSlot;

/// The kind of request a model serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModelKind {
    /// Chat completions and the APIs translated to them (Messages, Responses, the Bedrock runtime).
    Chat,
    /// `/v1/embeddings`.
    Embeddings,
}

impl ModelKind {
    fn models(self) -> &'static str {
        match self {
            ModelKind::Chat => "chat models",
            ModelKind::Embeddings => "embedding models",
        }
    }
}

/// The kind of `model` on `provider`: known for every Bedrock id (one that does neither is refused, with the chat
/// check's message), and for OpenAI's own names; another OpenAI-compatible server's id is its upstream's
/// business (`None`).
pub(crate) fn kind(provider: &ProviderSlot, model: &str) -> Result<Option<ModelKind>, Error> {
    match provider.config() {
        ProviderConfig::Bedrock(_) => {
            if bedrock::catalog::embedding_family(model).is_ok() {
                return Ok(Some(ModelKind::Embeddings));
            }
            provider.check_model(model).map(|()| Some(ModelKind::Chat))
        }
        ProviderConfig::OpenAi(_) if openai::catalog::is_embedding_model(model) => Ok(Some(ModelKind::Embeddings)),
        ProviderConfig::OpenAi(_) if openai::catalog::serves(model) && openai::catalog::is_chat_model(model) => {
            Ok(Some(ModelKind::Chat))
        }
        ProviderConfig::OpenAi(_) => Ok(None),
    }
}

/// The one kind of a group's members (`None` when no member's kind is known), or a message naming a member of
/// each kind when they mix.
pub(crate) fn group_kind<'a>(
    members: impl IntoIterator<Item = (&'a str, Option<ModelKind>)>,
) -> Result<Option<ModelKind>, String> {
    let mut first: Option<(&str, ModelKind)> = None;
    for (label, kind) in members {
        let Some(kind) = kind else { continue };
        match first {
            None => first = Some((label, kind)),
            Some((other, seen)) if seen != kind => {
                return Err(format!(
                    "mixes {} ('{other}') and {} ('{label}'): a group serves one kind of request; make one group of each",
                    seen.models(),
                    kind.models()
                ));
            }
            Some(_) => {}
        }
    }
    Ok(first.map(|(_, kind)| kind))
}

/// `invalid_value` for a request of the other kind to the group or alias `name`, whose models are of kind `has`.
pub(crate) fn refuse(name: &str, rule: RouteRule, has: ModelKind) -> Error {
    let what = if rule == RouteRule::Alias { "an alias of" } else { "a group of" };
    let message = match has {
        ModelKind::Embeddings => format!("'{name}' is {what} embedding models: use /v1/embeddings."),
        ModelKind::Chat => format!("'{name}' is {what} chat models: /v1/embeddings serves embedding models only."),
    };
    Error::invalid("model", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_of_one_kind_or_of_unknown_models_is_fine() {
        use ModelKind::{Chat, Embeddings};
        assert_eq!(group_kind([("a", None), ("b", Some(Embeddings)), ("c", Some(Embeddings))]), Ok(Some(Embeddings)));
        assert_eq!(group_kind([("a", None)]), Ok(None));
        assert_eq!(
            group_kind([("openai/gpt-4o", Some(Chat)), ("x/m", None), ("bedrock/cohere.embed-english-v3", Some(Embeddings))]),
            Err("mixes chat models ('openai/gpt-4o') and embedding models ('bedrock/cohere.embed-english-v3'): a group serves one kind of request; make one group of each".to_owned())
        );
    }
}
